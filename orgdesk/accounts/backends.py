"""Authentication by any identifier. Sign-in flows (issue 3) add throttling and MFA."""

import uuid
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import Q
from django.http import HttpRequest

from orgdesk.accounts.models import Account


class IdentifierBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        identifier: str | None = None,
        password: str | None = None,
        store: uuid.UUID | None = None,
        **kwargs: Any,
    ) -> Account | None:
        identifier = identifier or kwargs.get("username") or kwargs.get("email")
        if not identifier or not password:
            return None
        match = Q(email__lower=identifier) | Q(username__lower=identifier) | Q(phone=identifier)
        candidates = Account.objects.filter(match)
        candidates = candidates.filter(store=store) if store else candidates
        found = list(candidates[:2])
        if len(found) != 1:
            # Unknown or ambiguous across stores: spend the same time as a real check.
            Account().set_password(password)
            return None
        account = found[0]
        if account.check_password(password) and account.is_active:
            return account
        return None

    def get_user(self, user_id: Any) -> Account | None:
        try:
            account = Account.objects.get(pk=user_id)
        except (Account.DoesNotExist, ValueError):
            return None
        return account if account.is_active else None

"""Password sign-in for the Organization portal, with throttling and even responses.

Unknown identifiers, wrong passwords and disabled accounts get the same answer and cost the
same time (one password hash); each outcome is an event with a reason code.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import login, logout
from django.contrib.auth.hashers import make_password
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone

from orgdesk.access.actor import Actor, Channel
from orgdesk.accounts.models import Account
from orgdesk.accounts.validation import normalize_phone
from orgdesk.activity.models import Event
from orgdesk.activity.recorder import record
from orgdesk.organizations.models import PORTAL_CLIENT_ID
from orgdesk.security import mfa
from orgdesk.security.mfa import has_second_factor
from orgdesk.security.throttle import KNOWN_DEVICE_COOKIE, SignInThrottle, is_known_device

if TYPE_CHECKING:
    from orgdesk.security.middleware import AdminRequest

BACKEND = "orgdesk.accounts.backends.IdentifierBackend"
MAX_CANDIDATES = 5
SESSION_AUTH_TIME = "orgdesk_auth_time"
SESSION_SIGNED_IN_AT = "orgdesk_signed_in_at"
SESSION_MFA_PENDING = "orgdesk_mfa_pending"
SESSION_PASSKEY_CHALLENGE = "orgdesk_passkey_challenge"


@dataclass
class Attempt:
    outcome: str  # ok | mfa | failed | throttled | no_access
    account: Account | None = None
    retry_after: int = 0


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy, set SECURE_PROXY_SSL_HEADER and have the proxy overwrite REMOTE_ADDR
    # (e.g. gunicorn --forwarded-allow-ips); X-Forwarded-For is not trusted blindly.
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104


def find_accounts(identifier: str) -> list[Account]:
    """The accounts `identifier` names: its email or username compared as the uniqueness
    constraints compare them (`lower(…)`, so the lower(email) and lower(username) indexes
    answer), or its phone. `iexact` was `UPPER(email) = UPPER(…)`, which no index serves: at a
    million accounts every sign-in walked the whole table (1 to 10 s)."""
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > 254:
        return []
    folded = Lower(Value(identifier))
    match = Q(email_folded=folded) | Q(username_folded=folded)
    try:
        phone = normalize_phone(identifier) if identifier.startswith("+") else ""
    except Exception:  # not a phone number: ValidationError
        phone = ""
    if phone:
        match |= Q(phone=phone)
    accounts = Account.objects.alias(email_folded=Lower("email"), username_folded=Lower("username"))
    return list(accounts.filter(match).order_by("created")[:MAX_CANDIDATES])


def throttle_subject(identifier: str, candidates: list[Account]) -> str:
    """What failures count against: the accounts an identifier reaches, not its spelling, so
    "+33 6 12…" and "+336 12…" (or an email and a username of one account) share counters."""
    if candidates:
        return "accounts:" + ",".join(sorted(str(a.pk) for a in candidates))
    return "identifier:" + (identifier or "").strip().lower()


def has_portal_access(account: Account) -> bool:
    return account.is_staff or account.role_assignments.exists()


def _fail(ip: str, reason: str, account: Account | None, throttle: SignInThrottle) -> Attempt:
    throttle.failed()
    record(
        "login",
        actor=Actor.anonymous(channel=Channel.PORTAL, ip=ip),
        account=account,
        result=Event.Result.FAILURE,
        reason=reason,
        ip=ip,
        metadata={"client_id": PORTAL_CLIENT_ID},
    )
    return Attempt("failed")


def attempt_password(request: HttpRequest, identifier: str, password: str) -> Attempt:
    ip = client_ip(request)
    candidates = find_accounts(identifier)
    known = is_known_device(
        request.COOKIES.get(KNOWN_DEVICE_COOKIE), {str(a.pk) for a in candidates}
    )
    throttle = SignInThrottle(throttle_subject(identifier, candidates), ip, known_device=known)
    verdict = throttle.check()
    single = candidates[0] if len(candidates) == 1 else None
    if not verdict.allowed:
        record(
            "login",
            actor=Actor.anonymous(channel=Channel.PORTAL, ip=ip),
            account=single,
            result=Event.Result.FAILURE,
            reason="rate_limited",
            ip=ip,
            metadata={"client_id": PORTAL_CLIENT_ID},
        )
        return Attempt("throttled", retry_after=verdict.retry_after)

    matched = None
    hashed = False
    for account in candidates:
        if account.has_usable_password():
            hashed = True
            if account.check_password(password or ""):
                matched = account
                break
    if not hashed:
        make_password(password or "")  # same cost as a real check: no timing oracle
    if matched is None:
        return _fail(
            ip, "invalid_password" if candidates else "unknown_identifier", single, throttle
        )
    if not matched.is_active:
        return _fail(ip, "account_disabled", matched, throttle)
    if not has_portal_access(matched):
        record(
            "login",
            actor=Actor.anonymous(channel=Channel.PORTAL, ip=ip),
            account=matched,
            result=Event.Result.FAILURE,
            reason="no_admin_access",
            ip=ip,
            metadata={"client_id": PORTAL_CLIENT_ID},
        )
        return Attempt("no_access", matched)
    throttle.succeeded()
    return Attempt("mfa" if has_second_factor(matched) else "ok", matched)


def complete_sign_in(request: HttpRequest, account: Account, method: str) -> None:
    """Start the admin session: new session key, sign-in and auth times, event."""
    login(request, account, backend=BACKEND)  # cycles the session key
    now = timezone.now().timestamp()
    request.session[SESSION_SIGNED_IN_AT] = now
    request.session[SESSION_AUTH_TIME] = now
    request.session.pop(SESSION_MFA_PENDING, None)
    Account.objects.filter(pk=account.pk).update(
        last_ip=client_ip(request) or None, login_count=F("login_count") + 1
    )
    record(
        "login",
        actor=Actor.self_service(account, channel=Channel.PORTAL, ip=client_ip(request)),
        account=account,
        ip=client_ip(request),
        metadata={"client_id": PORTAL_CLIENT_ID, "method": method},
    )


def auth_time(request: HttpRequest) -> dt.datetime | None:
    value = request.session.get(SESSION_AUTH_TIME)
    return dt.datetime.fromtimestamp(value, dt.UTC) if value else None


def mark_stepped_up(request: "AdminRequest", method: str) -> None:
    request.session[SESSION_AUTH_TIME] = timezone.now().timestamp()
    ip = client_ip(request)
    record(
        "step_up",
        actor=Actor.self_service(request.user, channel=Channel.PORTAL, ip=ip),
        account=request.user,
        ip=ip,
        metadata={"method": method},
    )


def _second_factor_ok(request: HttpRequest, account: Account) -> tuple[bool, str]:
    """Check a posted TOTP code, recovery code or passkey assertion."""
    if request.POST.get("passkey"):
        challenge = request.session.pop(SESSION_PASSKEY_CHALLENGE, None)
        ok = bool(challenge) and mfa.verify_passkey(
            account=account, response=request.POST["passkey"], challenge=challenge
        )
        return ok, "passkey"
    code = (request.POST.get("code") or "").strip()
    if mfa.verify_totp(account=account, code=code):
        return True, "totp"
    if mfa.use_recovery_code(account=account, code=code):
        return True, "recovery_code"
    return False, "totp"


def answer_mfa_challenge(request: HttpRequest, account: Account) -> tuple[bool, str]:
    """The second step of signing in: check the posted second factor and record the
    challenge's outcome. Returns whether it passed, and the method used."""
    ok, method = _second_factor_ok(request, account)
    ip = client_ip(request)
    record(
        "mfa_challenge",
        actor=Actor.anonymous(channel=Channel.PORTAL, ip=ip),
        account=account,
        result=Event.Result.SUCCESS if ok else Event.Result.FAILURE,
        reason="" if ok else "invalid_code",
        ip=ip,
        metadata={"method": method, "client_id": PORTAL_CLIENT_ID},
    )
    return ok, method


def step_up(request: "AdminRequest", *, password: str) -> bool:
    """The signed-in admin confirms their identity again, with a second factor (posted code
    or passkey) or else `password`; recorded either way."""
    account = request.user
    if request.POST.get("passkey") or (request.POST.get("code") or "").strip():
        ok, method = _second_factor_ok(request, account)
    else:
        ok, method = bool(password) and account.check_password(password), "password"
    if ok:
        mark_stepped_up(request, method)
        return True
    record(
        "step_up",
        actor=Actor.self_service(account, channel=Channel.PORTAL),
        account=account,
        result=Event.Result.FAILURE,
        reason="invalid_credentials",
        ip=client_ip(request),
        metadata={"method": method},
    )
    return False


def sign_out(request: HttpRequest) -> None:
    """End the admin's portal session, recorded."""
    if request.user.is_authenticated:
        record(
            "logout",
            actor=Actor.self_service(request.user, channel=Channel.PORTAL),
            account=request.user,
            ip=client_ip(request),
            metadata={"client_id": PORTAL_CLIENT_ID},
        )
    logout(request)


def pending_account(request: HttpRequest, max_age: int = 300) -> Account | None:
    pending: dict[str, Any] | None = request.session.get(SESSION_MFA_PENDING)
    if not pending or timezone.now().timestamp() - pending.get("at", 0) > max_age:
        return None
    return Account.objects.filter(pk=pending["account"], status=Account.Status.ENABLED).first()

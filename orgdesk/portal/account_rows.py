"""The rows of the Accounts table, written in one pass over the page.

As template code each row was about forty variable and tag nodes (a thousand for a page of
25, four thousand for 100), and resolving them was a third of an htmx fragment's time while
its SQL took a few milliseconds. Here the labels, icons and formats are looked up once per
page and each row is a handful of string formats; every value from the account goes
through `escape`. The markup is the one portal/accounts/_results.html had (its tests read
it), and the table's head, empty state and everything around stay in that template.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from orgdesk.ui.dates import DateFormatter
from orgdesk.ui.templatetags.icons import icon_ref, sprite

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account


def _item(icon: str, label: str) -> str:
    """A menu entry's icon and label."""
    return f"{icon_ref('mini', icon)} {escape(label)}"


class _Page:
    """What every row of one page shares: labels in the admin's language, icons, formats."""

    def __init__(self, row_base: str, csrf_token: str) -> None:
        self.row_base = escape(row_base)
        self.csrf = escape(csrf_token)
        self.long = DateFormatter(get_format("DATETIME_FORMAT"))
        self.short = DateFormatter(get_format("SHORT_DATE_FORMAT"))
        at = icon_ref("micro", "at-symbol")
        badge = icon_ref("micro", "check-badge")
        self.at = at
        # Translated outside the f-strings: xgettext does not look inside them.
        verified, verified_sr = escape(_("Verified")), escape(_("verified"))
        unverified, never = escape(_("unverified")), escape(_("Never"))
        enabled, disabled = escape(_("Enabled")), escape(_("Disabled"))
        self.verified = (
            f'<span class="badge ok" title="{verified}">{badge}'
            f'<span class="sr-only">{verified_sr}</span></span>'
        )
        self.unverified = f'<span class="badge warn">{unverified}</span>'
        self.enabled = f'<span class="status ok">{enabled}</span>'
        self.disabled = f'<span class="status off">{disabled}</span>'
        self.never = f'<span class="muted">{never}</span>'
        self.menu = icon_ref("mini", "ellipsis-vertical")
        self.edit = _item("pencil-square", _("Edit account details"))
        self.copy = _item("clipboard-document", _("Copy account ID"))
        self.copied = escape(_("Account ID copied"))
        self.password = _item("key", _("Change account password"))
        self.clear = _item("power", _("Clear account sessions"))
        self.clear_action = escape(_("Clear sessions"))
        self.actions_for = _("Actions for %(name)s")
        self.sign_out = _(
            "Sign %(name)s out of every session? The account and its credentials stay as they are."
        )

    def when(self, value: Any) -> tuple[str, str]:
        """ISO 8601 and the long local form of a timestamp, in the admin's time zone."""
        local = timezone.localtime(value)
        return local.isoformat(), escape(self.long(local))

    def identifier(self, value: str, verified: bool) -> str:
        return (
            f'<span class="ident">{escape(value)}'
            f"{self.verified if verified else self.unverified}</span>"
        )

    def row(self, a: "Account", perms: frozenset[str]) -> str:
        pk = a.pk
        link = f"{self.row_base}{pk}"
        name = a.get_full_name() or a.primary_identifier
        idents = []
        if a.username:
            idents.append(f'<span class="ident">{self.at}{escape(a.username)}</span>')
        if a.email:
            idents.append(self.identifier(a.email, a.email_verified))
        if a.phone:
            idents.append(self.identifier(a.phone, a.phone_verified))
        for identity in a.identities.all():
            idents.append(
                f'<span class="badge idp" title="{escape(identity.get_kind_display())}">'
                f"{escape(identity.provider_label)}</span>"
            )
        organization = a.organization
        assert organization is not None, "the list shows customer accounts"
        if a.last_login:
            iso, title = self.when(a.last_login)
            last_login = (
                f'<time datetime="{iso}" title="{title}">{escape(naturaltime(a.last_login))}</time>'
            )
        else:
            last_login = self.never
        created_iso, created_title = self.when(a.created)
        created_short = escape(self.short(timezone.localtime(a.created)))
        menu = []
        if "accounts.edit" in perms:
            menu.append(f'<a role="menuitem" href="{link}/edit">{self.edit}</a>')
        menu.append(
            f'<button type="button" role="menuitem" data-copy="{pk}" '
            f'data-copied="{self.copied}">{self.copy}</button>'
        )
        if "accounts.set_password" in perms:
            menu.append(f'<a role="menuitem" href="{link}/password">{self.password}</a>')
        if "sessions.clear" in perms:
            confirm = escape(self.sign_out % {"name": a.get_full_name()})
            menu.append(
                f'<form method="post" action="{link}/clear-sessions" data-confirm="{confirm}" '
                f'data-confirm-action="{self.clear_action}">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.csrf}">'
                f'<button type="submit" role="menuitem" class="danger">{self.clear}</button>'
                "</form>"
            )
        actions_label = escape(self.actions_for % {"name": a.get_full_name()})
        return (
            "<tr>"
            f'<td><div class="account-cell"><a class="account-name" href="{link}">'
            f'{escape(name)}</a><span class="identifiers">{"".join(idents)}</span></div></td>'
            f'<td class="muted org-cell" title="{escape(organization.route)}">'
            f"{escape(organization.name)}</td>"
            f"<td>{self.enabled if a.status == 'enabled' else self.disabled}</td>"
            f"<td>{last_login}</td>"
            f'<td class="muted"><time datetime="{created_iso}" title="{created_title}">'
            f"{created_short}</time></td>"
            '<td class="actions-cell"><details class="menu row-menu" data-menu>'
            f'<summary class="icon-btn" aria-label="{actions_label}">{self.menu}</summary>'
            f'<div class="menu-panel right" role="menu">{"".join(menu)}</div>'
            "</details></td></tr>"
        )


# Drawn on every row: defined once on the page (list.html), referenced by each row.
ROW_ICONS = (
    ("micro", "at-symbol"),
    ("micro", "check-badge"),
    ("mini", "ellipsis-vertical"),
    ("mini", "pencil-square"),
    ("mini", "clipboard-document"),
    ("mini", "key"),
    ("mini", "power"),
)


def row_icons() -> str:
    """The sprite of the icons the rows refer to (once per page, outside the results)."""
    return sprite(ROW_ICONS)


def account_rows(
    rows: Iterable["Account"], perms: dict[Any, frozenset[str]], *, row_base: str, csrf_token: str
) -> SafeString:
    """The table rows of `rows`; `perms` holds what each row's menu may offer, by key."""
    page = _Page(row_base, csrf_token)
    # Every value above is escaped or is markup built here.
    return mark_safe("\n".join(page.row(a, perms[a.pk]) for a in rows))  # noqa: S308

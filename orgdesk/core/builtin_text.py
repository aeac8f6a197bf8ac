"""Built-in words stored in English, shown in the reader's language.

Built-in roles, notification templates and default authenticator labels are seeded with English
text, which stays what the database holds: it is a value an admin may rename, and a rename must
show exactly as typed. So the translation happens when the text is shown, and only while the
stored value is still the seeded English one. Each app keeps its English defaults in one place,
marked with gettext_noop so makemessages collects them.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


def builtin_text(stored: str, default: str | None) -> str:
    """`stored` in the current language while it is still the built-in English `default`;
    anything else (a renamed or custom value) as stored."""
    if default and stored == default:
        return gettext(default)
    return stored


def in_every_language(default: str) -> set[str]:
    """`default` and its translation in each product language: the names someone may type for
    a built-in value (a bulk invitation file written in French names the French role)."""
    names = {default}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(gettext(default))
    return names

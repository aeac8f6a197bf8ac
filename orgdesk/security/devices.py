"""User-agent strings to the browser and system admins read ("Chrome 131", "Windows 10")."""

from functools import lru_cache

from ua_parser import OS, UserAgent, parse


def _name(part: UserAgent | OS | None) -> str:
    if part is None or not part.family or part.family == "Other":
        return ""
    return f"{part.family} {part.major}" if part.major else part.family


@lru_cache(maxsize=4096)
def browser_and_system(user_agent: str) -> tuple[str, str]:
    """("Chrome 131", "Windows 10"); either is "" when the user agent does not tell."""
    if not user_agent:
        return "", ""
    result = parse(user_agent)
    return _name(result.user_agent), _name(result.os)


def describe_device(user_agent: str) -> str:
    """One line for storage, such as "Chrome 131 on Windows 10"; "" when nothing is known, so
    that pages show their own translated "Unknown device" rather than stored English."""
    return " on ".join(part for part in browser_and_system(user_agent) if part)

"""User-agent strings to the device line admins read ("Chrome 131 on Windows 10")."""

from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=4096)
def describe_device(user_agent: str) -> str:
    if not user_agent:
        return ""
    result = parse(user_agent)
    browser = result.user_agent
    system = result.os
    parts = []
    if browser and browser.family and browser.family != "Other":
        parts.append(f"{browser.family} {browser.major}" if browser.major else browser.family)
    if system and system.family and system.family != "Other":
        os_name = f"{system.family} {system.major}" if system.major else system.family
        parts.append(os_name)
    if not parts:
        return "Unknown device"
    return " on ".join(parts)

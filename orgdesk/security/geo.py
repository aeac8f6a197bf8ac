"""IP geolocation. Country from the bundled geoip2fast data; city only when the operator
configures a MaxMind City database (ORGDESK_GEOIP_CITY_DB), which we cannot ship."""

import ipaddress
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geoip2.database


@lru_cache(maxsize=1)
def _country_reader() -> Any:
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False)


@lru_cache(maxsize=1)
def _city_reader() -> "geoip2.database.Reader | None":
    path = os.environ.get("ORGDESK_GEOIP_CITY_DB", "")
    if not path:
        return None
    import geoip2.database

    return geoip2.database.Reader(path)


def city_database_configured() -> bool:
    return bool(os.environ.get("ORGDESK_GEOIP_CITY_DB"))


def country_of(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if not address.is_global:
        return ""
    result = _country_reader().lookup(ip)
    code = getattr(result, "country_code", None)
    if code is None and isinstance(result, dict):
        code = result.get("country_code")
    return code if code and len(code) == 2 and code.isalpha() else ""


def locate(ip: str) -> tuple[str, str]:
    """(city, country) for an IP; city is empty without a configured City database."""
    try:
        reader = _city_reader()
    except (OSError, ValueError):  # a missing or unreadable City database: country only
        reader = None
    if reader is not None:
        try:
            response = reader.city(ip)
            return response.city.name or "", response.country.iso_code or ""
        except Exception:  # geoip2 raises AddressNotFoundError and ValueError
            return "", country_of(ip)
    return "", country_of(ip)

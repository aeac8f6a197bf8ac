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


def _city_database() -> str:
    return os.environ.get("ORGDESK_GEOIP_CITY_DB", "")


@lru_cache(maxsize=2)
def _open_city_reader(path: str) -> "geoip2.database.Reader":
    import geoip2.database

    return geoip2.database.Reader(path)


def _city_reader() -> "geoip2.database.Reader | None":
    # Keyed by the path: a reader opened for one setting is not used for another.
    path = _city_database()
    return _open_city_reader(path) if path else None


def city_database_configured() -> bool:
    """Whether the server has a City database (an operator's setting: never said to the
    portal's admins, whose pages show a city when one is known and the country otherwise)."""
    return bool(_city_database())


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

"""Value pools drawn once from Faker per locale, then combined by a seeded RNG.

Calling Faker per row would dominate a million-account run; pools of a few hundred values
per locale, combined freely, look just as real.
"""

import ipaddress
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

# locale: (BCP 47 tag, country, E.164 prefix, digits after the prefix, lowest value).
# Checked with phonenumbers.is_valid_number; seven digits give ten million numbers a locale.
LOCALES = {
    "en_US": ("en-US", "US", "+1917", 7, 2_000_000),  # exchange codes start at 2
    "en_GB": ("en-GB", "GB", "+44790", 7, 0),
    "fr_FR": ("fr-FR", "FR", "+3361", 7, 0),
    "de_DE": ("de-DE", "DE", "+49151", 8, 0),
    "es_ES": ("es-ES", "ES", "+3461", 7, 0),
    "it_IT": ("it-IT", "IT", "+39347", 7, 0),
    "nl_NL": ("nl-NL", "NL", "+3161", 7, 0),
    "pt_BR": ("pt-BR", "BR", "+551199", 7, 0),
    "pl_PL": ("pl-PL", "PL", "+4860", 7, 0),
    "sv_SE": ("sv-SE", "SE", "+4670", 7, 0),
}
LOCALE_WEIGHTS = [30, 10, 14, 14, 10, 6, 5, 5, 3, 3]

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.39 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
]

GROUP_NAMES = [
    "Sales",
    "Support",
    "Finance",
    "Operations",
    "Managers",
    "Contractors",
    "Engineering",
    "Marketing",
    "Purchasing",
    "Logistics",
    "Store staff",
    "Partners",
    "Executives",
    "Legal",
]
REGION_NAMES = [
    "EMEA",
    "Americas",
    "APAC",
    "Nordics",
    "DACH",
    "Benelux",
    "Iberia",
    "North America",
    "Latin America",
    "UK & Ireland",
    "France",
    "Italy",
    "Central Europe",
    "Middle East",
]
PASSKEY_LABELS = ["iCloud Keychain", "Google Password Manager", "Windows Hello", "1Password"]
SECURITY_KEY_LABELS = ["YubiKey 5 NFC", "YubiKey 5C", "Google Titan Key", "Feitian ePass"]
TOTP_LABELS = ["Google Authenticator", "Microsoft Authenticator", "Authy", "1Password"]
SOCIAL_PROVIDERS = ["google", "apple", "facebook", "microsoft", "github", "linkedin"]
ENTERPRISE_PROVIDERS = ["saml:okta", "oidc:azure-ad", "saml:adfs", "oidc:google-workspace"]


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class LocalePool:
    tag: str
    country: str
    phone_prefix: str
    phone_digits: int
    phone_low: int

    def phone(self, sequence: int) -> str:
        span = 10**self.phone_digits - self.phone_low
        return f"{self.phone_prefix}{self.phone_low + sequence % span:0{self.phone_digits}d}"

    first_names: list[str]
    last_names: list[str]
    streets: list[str]
    places: list[tuple[str, str, str]]  # city, region, postal code
    free_domains: list[str]


def build_locale_pools(seed: int, size: int = 200) -> list[LocalePool]:
    pools = []
    for index, (code, (tag, country, prefix, digits, low)) in enumerate(LOCALES.items()):
        fake = Faker(code)
        fake.seed_instance(seed * 100 + index)
        region = getattr(fake, "state", None) or getattr(fake, "region", None)
        firsts = list(dict.fromkeys(fake.first_name() for _ in range(size)))
        lasts = list(dict.fromkeys(fake.last_name() for _ in range(size)))
        firsts = [n for n in firsts if ascii_fold(n)]
        lasts = [n for n in lasts if ascii_fold(n)]
        places = [
            (fake.city(), region() if region else "", fake.postcode()) for _ in range(size // 2)
        ]
        pools.append(
            LocalePool(
                tag=tag,
                country=country,
                phone_prefix=prefix,
                phone_digits=digits,
                phone_low=low,
                first_names=firsts,
                last_names=lasts,
                streets=[fake.street_address() for _ in range(size)],
                places=places,
                free_domains=sorted({fake.free_email_domain() for _ in range(20)}),
            )
        )
    return pools


def company_names(seed: int, count: int) -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = fake.company().replace(" / ", " ")
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def city_names(seed: int, count: int) -> list[str]:
    fake = Faker(["en_US", "fr_FR", "de_DE", "es_ES", "it_IT"])
    fake.seed_instance(seed)
    return list(dict.fromkeys(fake.city() for _ in range(count * 2)))[:count] or ["Central"]


def public_ip_pool(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Globally routable IPv4 addresses with the country the bundled geo data gives them."""
    from orgdesk.security.geo import country_of

    out: list[tuple[str, str]] = []
    while len(out) < count:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if not ip.is_global or ip.is_multicast:
            continue
        country = country_of(str(ip))
        if country:
            out.append((str(ip), country))
    return out


@lru_cache(maxsize=64)
def device_of(user_agent: str) -> str:
    from orgdesk.security.devices import describe_device

    return describe_device(user_agent)

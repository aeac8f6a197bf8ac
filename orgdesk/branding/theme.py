"""Branding as design tokens: a stylesheet of CSS custom properties built from validated
values only (colours as six hex digits, a header style and a typeface from fixed sets), so
nothing typed by anyone reaches a page as CSS. The pages link it (the CSP allows no inline
style); its address carries the values, so it can be cached for a day."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

DEFAULT_PRIMARY = "4f46e5"
HEX = frozenset("0123456789abcdef")
HEADERS = ("light", "dark", "brand")
FONTS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif',
    "serif": 'Georgia, Cambria, "Times New Roman", Times, serif',
    "rounded": 'ui-rounded, "SF Pro Rounded", "Nunito", "Varela Round", system-ui, sans-serif',
    "mono": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
}


def hex_digits(value: str) -> str:
    """`#RRGGBB` (or `RRGGBB`) as six lowercase hex digits, else ""."""
    value = (value or "").strip().lstrip("#").lower()
    return value if len(value) == 6 and set(value) <= HEX else ""


def _luminance(colour: str) -> float:
    def channel(part: str) -> float:
        c = int(part, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_on(colour: str) -> str:
    """White or near-black, whichever reads better on `colour` (WCAG contrast)."""
    lum = _luminance(colour)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("18181b") + 0.05)
    return "#ffffff" if on_white >= on_dark else "#18181b"


def _darker(colour: str, factor: float = 0.85) -> str:
    return "".join(f"{int(int(colour[i : i + 2], 16) * factor):02x}" for i in (0, 2, 4))


def theme_url(*, primary: str, background: str = "", header: str = "brand", font: str = "") -> str:
    query = {"primary": hex_digits(primary) or DEFAULT_PRIMARY, "header": header}
    if hex_digits(background):
        query["background"] = hex_digits(background)
    if font in FONTS and font != "system":
        query["font"] = font
    return f"{reverse('branding:theme')}?{urlencode(sorted(query.items()))}"


def theme_css_text(primary: str, background: str, header: str, font: str) -> str:
    primary = hex_digits(primary) or DEFAULT_PRIMARY
    background = hex_digits(background)
    lines = [
        ":root {",
        f"  --brand: #{primary}; --brand-text: {text_on(primary)};",
    ]
    if background:
        lines.append(f"  --brand-page: #{background}; --brand-page-text: {text_on(background)};")
    if header == "dark":
        lines.append("  --brand-band: #18181b; --brand-band-text: #ffffff;")
    elif header == "light":
        lines.append("  --brand-band: #ffffff; --brand-band-text: #18181b;")
    else:
        lines.append(f"  --brand-band: #{primary}; --brand-band-text: {text_on(primary)};")
    if font in FONTS and font != "system":
        lines.append(f"  --font: {FONTS[font]};")
    lines.append("}")
    # The portal's accent follows the brand in the light theme; the dark theme keeps its own
    # (a brand colour chosen for white pages is often unreadable on dark ones).
    lines.append(
        ':root:not([data-theme="dark"]) .app { '
        f"--accent: #{primary}; --accent-hover: #{_darker(primary)}; "
        f"--accent-text: {text_on(primary)}; }}"
    )
    return "\n".join(lines) + "\n"


@require_http_methods(["GET", "HEAD"])
def theme_css(request: HttpRequest) -> HttpResponse:
    """The branding tokens as a stylesheet. Only validated colours and the fixed header
    styles and typefaces get in; anything else falls back to the defaults."""
    header = request.GET.get("header", "brand")
    text = theme_css_text(
        request.GET.get("primary", ""),
        request.GET.get("background", ""),
        header if header in HEADERS else "brand",
        request.GET.get("font", ""),
    )
    response = HttpResponse(text, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response

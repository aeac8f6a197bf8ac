"""Both portal themes are readable: WCAG 2.1 contrast of the colour pairs the stylesheet uses.

The tokens are read from portal.css itself (the light `:root` block and the explicit dark
block), so a change of palette that hurts readability fails here. Text pairs need 4.5:1 (AA,
normal text); the focus ring and borders of controls need 3:1 (non-text contrast).
"""

import re
from pathlib import Path

import pytest

from orgdesk import portal

CSS = Path(portal.__file__).parent / "static/portal/portal.css"

# (foreground, background, minimum ratio): every pairing the components draw.
TEXT = 4.5
NON_TEXT = 3.0
PAIRS = [
    ("text", "bg", TEXT),
    ("text", "surface", TEXT),
    ("text", "surface-2", TEXT),  # table headers, hovered rows, menus
    ("muted", "surface", TEXT),
    ("muted", "surface-2", TEXT),
    ("muted", "bg", TEXT),
    ("accent", "surface", TEXT),  # links, current tab
    ("accent", "surface-2", TEXT),  # current item in the sidebar
    ("accent-text", "accent", TEXT),  # primary buttons
    ("accent-text", "accent-hover", TEXT),
    ("danger", "surface", TEXT),
    ("danger", "off-bg", TEXT),  # "Disabled" status
    ("ok", "ok-bg", TEXT),  # "Enabled" status
    ("ok", "surface", TEXT),  # verified badge
    ("warn", "warn-bg", TEXT),  # "unverified" badge
    ("focus", "surface", NON_TEXT),
    ("focus", "bg", NON_TEXT),
]


def _block(selector: str) -> dict[str, str]:
    css = CSS.read_text()
    start = css.index(selector + " {")
    body = css[start : css.index("}", start)]
    return dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", body))


def themes() -> dict[str, dict[str, str]]:
    light = _block(":root")
    dark = {**light, **_block(':root[data-theme="dark"]')}
    return {"light": light, "dark": dark}


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_dark_media_query_block_matches_the_explicit_dark_theme():
    css = CSS.read_text()
    media = css[css.index("@media (prefers-color-scheme: dark)") :]
    system_dark = dict(
        re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", media[: media.index("}")])
    )
    assert system_dark == _block(':root[data-theme="dark"]')


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_theme_pair_is_readable(theme, fg, bg, minimum):
    tokens = themes()[theme]
    ratio = contrast(tokens[fg], tokens[bg])
    assert ratio >= minimum, f"{theme}: --{fg} on --{bg} is {ratio:.2f}:1, needs {minimum}:1"

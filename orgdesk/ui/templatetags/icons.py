"""heroicons' template tags with the rendered SVG cached: a page of accounts draws the same
few icons hundreds of times, and serialising each from XML was a fifth of the page time."""

from functools import lru_cache

import heroicons
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@lru_cache(maxsize=512)
def _svg(style: str, name: str, size: int | None, attrs: tuple[tuple[str, str], ...]) -> str:
    return heroicons._render_icon(style, name, size, dict(attrs))


def _render(style: str, name: str, size: int | None, attrs: dict[str, object]) -> str:
    fixed = tuple(sorted((key, str(value)) for key, value in attrs.items()))
    return mark_safe(_svg(style, str(name), size, fixed))  # noqa: S308 (SVG from the package)


@register.simple_tag
def heroicon_micro(name: str, *, size: int | None = 16, **attrs: object) -> str:
    return _render("micro", name, size, attrs)


@register.simple_tag
def heroicon_mini(name: str, *, size: int | None = 20, **attrs: object) -> str:
    return _render("mini", name, size, attrs)


@register.simple_tag
def heroicon_outline(name: str, *, size: int | None = 24, **attrs: object) -> str:
    return _render("outline", name, size, attrs)


@register.simple_tag
def heroicon_solid(name: str, *, size: int | None = 24, **attrs: object) -> str:
    return _render("solid", name, size, attrs)


# ---- a sprite: icons drawn many times on one page (a list's rows) --------------------------


def _symbol_id(style: str, name: str) -> str:
    return f"i-{style}-{name}"


@lru_cache(maxsize=128)
def sprite(icons: tuple[tuple[str, str], ...]) -> str:
    """A hidden SVG holding each (style, name) of `icons` once, as a <symbol> that
    `icon_ref` points at: a row then carries a short reference instead of the paths."""
    symbols = []
    for style, name in icons:
        svg = heroicons._render_icon(style, name, None, {})
        view_box = svg.split('viewBox="', 1)[1].split('"', 1)[0]
        inner = svg.split(">", 1)[1].rsplit("</svg>", 1)[0].strip()
        symbols.append(
            f'<symbol id="{_symbol_id(style, name)}" viewBox="{view_box}">{inner}</symbol>'
        )
    return mark_safe(  # noqa: S308 (SVG from the package)
        '<svg xmlns="http://www.w3.org/2000/svg" hidden aria-hidden="true" class="icon-sprite">'
        + "".join(symbols)
        + "</svg>"
    )


def icon_ref(style: str, name: str) -> str:
    """An icon of the page's `sprite`, at the size the heroicons tags give it."""
    size = {"micro": 16, "mini": 20}.get(style, 24)
    return (
        f'<svg width="{size}" height="{size}" fill="currentColor" aria-hidden="true">'
        f'<use href="#{_symbol_id(style, name)}"/></svg>'
    )

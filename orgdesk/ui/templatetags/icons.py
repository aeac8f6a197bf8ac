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

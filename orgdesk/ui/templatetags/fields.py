"""`{% filter_field field %}`: a filter form field rendered straight to HTML.

Django renders every widget (and every <option>) through the template engine; the accounts
filter panel has eighteen fields and was a third of the page's server time. Filter fields are
simple (text, date, select), so they are written out here with the same label, id, value,
error and ARIA attributes Django would produce.
"""

from collections.abc import Iterable
from typing import cast

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

HINT_ATTRS = ("placeholder", "title", "pattern", "inputmode", "autocomplete", "spellcheck", "size")


def _choices(field: forms.Field) -> list[tuple[object, object]]:
    if isinstance(field, forms.ModelChoiceField):
        # One plain query: list(field.choices) asks the ModelChoiceIterator for its length
        # (a COUNT) and then iterates through a server-side cursor (three more round trips).
        queryset = field.queryset
        assert queryset is not None, "a model choice filter is given its queryset"
        empty: list[tuple[object, object]] = (
            [("", field.empty_label)] if field.empty_label is not None else []
        )
        return empty + [
            (field.prepare_value(obj), field.label_from_instance(obj)) for obj in queryset
        ]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"a select needs a choice field, not {type(field).__name__}")
    # The getter gives the choices normalized (django.utils.choices.normalize_choices: a list
    # of pairs, or an iterator of them); the stubs type it with what the setter accepts
    # (mappings, callables, Choices classes too).
    return list(cast(Iterable[tuple[object, object]], field.choices))


def _control(
    bound: BoundField, described_by: str, choices: list[tuple[object, object]] | None = None
) -> SafeString:
    field, widget = bound.field, bound.field.widget
    value = bound.value()
    value = "" if value is None else str(value)
    invalid = ' aria-invalid="true"' if bound.errors else ""
    common = format_html(
        'name="{}" id="{}"{}{}',
        bound.html_name,
        bound.auto_id,
        mark_safe(invalid),  # noqa: S308 (a constant)
        format_html(' aria-describedby="{}"', described_by) if described_by else "",
    )
    if isinstance(widget, forms.Select):
        if choices is None:
            choices = _choices(field)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), mark_safe(" selected") if str(key) == value else "", label)
                for key, label in choices
            ),
        )
        return format_html("<select {}>{}</select>", common, options)
    kind = widget.input_type if isinstance(widget, Input) else "text"
    if isinstance(widget, forms.DateInput):
        kind = widget.attrs.get("type", kind)
    maxlength = getattr(field, "max_length", None)
    extra = format_html(' maxlength="{}"', maxlength) if maxlength else ""
    # What a widget says about the value expected (a date's format: core.formfields).
    hints = format_html_join(
        "",
        ' {}="{}"',
        ((name, widget.attrs[name]) for name in HINT_ATTRS if widget.attrs.get(name)),
    )
    extra = format_html("{}{}", extra, hints)
    return format_html('<input type="{}" {} value="{}"{}>', kind, common, value, extra)


@register.simple_tag
def filter_field(
    bound: BoundField, choices: list[tuple[object, object]] | None = None
) -> SafeString:
    """`choices`, when given, are the options a select offers (the view's pick among the
    values the filter accepts)."""
    error_id = f"{bound.auto_id}-error" if bound.errors else ""
    errors = format_html_join(
        "", '<p class="field-error" id="{}">{}</p>', ((error_id, e) for e in bound.errors)
    )
    return format_html(
        '<div class="field"><label for="{}">{}</label>{}{}</div>',
        bound.auto_id,
        bound.label,
        _control(bound, error_id, choices),
        errors,
    )

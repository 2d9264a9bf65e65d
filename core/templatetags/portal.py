"""Template filters every app's pages share: money, dates of known precision, rates, reported
figures, illustrative markers, table boxes and the page's addresses (`{% load portal %}`)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.conf import settings
from django.template import Context
from django.urls import translate_url
from django.utils import formats, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()

YI = Decimal("100000000")  # 亿
MILLION = Decimal("1000000")
BILLION = Decimal("1000000000")


def _trim(value: Decimal) -> str:
    return format(value.normalize(), "f")


@register.filter
def cny(value: Any) -> str:
    """410050000 → '410,050,000' (cents shown only when there are any)."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def cny_compact_parts(value: Any) -> tuple[str, str]:
    """The number and the unit of `cny_compact`: ('4.1005', '亿元'), ('CNY 410.05 million', '').
    A qualifier goes between them in Chinese (3000余万元)."""
    value = Decimal(value)
    if translation.get_language() == "en":
        if value >= BILLION:
            return _("CNY %(amount)s billion") % {"amount": _trim(value / BILLION)}, ""
        return _("CNY %(amount)s million") % {"amount": _trim(value / MILLION)}, ""
    if value >= YI:
        return _trim(value / YI), "亿元"
    return _trim(value / Decimal(10000)), "万元"


@register.filter
def cny_compact(value: Any) -> str:
    """410050000 → '4.1005亿元' or 'CNY 410.05 million'; 1.1e9 → 'CNY 1.1 billion'. Exact."""
    if value is None:
        return "—"
    return "".join(cny_compact_parts(value))


@register.filter
def precise_date(value: Any, precision: str = "day") -> str:
    """A date shown only as precisely as its source states it."""
    if value is None:
        return "—"
    if precision == "year":
        return formats.date_format(value, "Y") + (
            "年" if translation.get_language() != "en" else ""
        )
    if precision == "month":
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


@register.filter
def percent(share: Any) -> str:
    """A 0–1 share as a whole-number percentage for widths and labels."""
    if share is None:
        return "0"
    return str(int((Decimal(share) * 100).quantize(Decimal("1"))))


@register.filter
def rate(share: Any) -> str:
    """A Decimal share as a percentage to 0.1%: Decimal("1.34") → '134.0%'; None → '—'."""
    if share is None:
        return "—"
    return f"{(Decimal(share) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@register.filter
def share_of(value: Any, total: Any) -> Decimal:
    """value ÷ total as a 0–1 share for bar widths (0 when there is no total)."""
    if not total:
        return Decimal("0")
    return Decimal(value or 0) / Decimal(total)


@register.simple_tag
def largest(rows: Any, *names: str) -> Decimal:
    """The largest of the named attributes over `rows`: the scale of a chart's bars."""
    return max(
        (Decimal(getattr(row, name) or 0) for row in rows for name in names), default=Decimal("0")
    )


@register.filter
def illustrative(project: Any, field_name: str) -> bool:
    return bool(project.is_illustrative(field_name))


@register.simple_tag(takes_context=True)
def other_language_url(context: Context, language: str) -> str:
    request = context["request"]
    path = request.get_full_path()
    translated = translate_url(path, language)
    if translated != path or language == translation.get_language():
        return translated
    # An address no page answers (the 404 page): the same address under the other prefix.
    bare = path.removeprefix("/en") if path.startswith("/en/") else path
    return bare if language == settings.LANGUAGE_CODE else f"/{language}{bare}"


@register.simple_tag(takes_context=True)
def absolute_url(context: Context, path: str) -> str:
    """A path (or an absolute URL, kept as it is) as an absolute URL on this site."""
    return str(context["request"].build_absolute_uri(path))


@register.filter
def figure_value(figure: Any) -> str:
    """A reported figure as the source states it: '近11亿元', '2000余人次', 'nearly CNY 1.1
    billion', 'over 2,000 person-times', '56'."""
    value = Decimal(figure.value)
    if figure.unit_zh_hans in ("元", "CNY") or figure.unit_en == "CNY":
        number, unit = cny_compact_parts(value)
    else:
        # Chinese groups no digits: 2000余人次, as the source writes it.
        number = cny(value) if translation.get_language() == "en" else _trim(value)
        unit = figure.unit
    return qualified(number, figure.qualifier, unit=unit)


def qualified(number: str, qualifier: str, *, unit: str = "") -> str:
    """A value with the qualifier its source gives, where the language puts it: 近11亿元 is
    nearly, 3000余万元 and 2000余人次 over (余 sits between the number and the unit)."""
    values = {"value": number, "unit": unit}
    if not unit:
        formats_ = {
            "nearly": _("nearly %(value)s"),
            "over": _("over %(value)s"),
            "about": _("about %(value)s"),
        }
        return formats_[qualifier] % values if qualifier in formats_ else number
    formats_ = {
        "nearly": _("nearly %(value)s %(unit)s"),
        "over": _("over %(value)s %(unit)s"),
        "about": _("about %(value)s %(unit)s"),
    }
    return (formats_.get(qualifier) or _("%(value)s %(unit)s")) % values


@register.filter
def any_illustrative(records: Any, field_name: str = "") -> bool:
    """Whether any record is illustrative (its `illustrative` flag), or has the named field
    marked illustrative: a section shows its notice only then."""
    if field_name:
        return any(record.is_illustrative(field_name) for record in records)
    return any(record.illustrative for record in records)


@register.filter
def illustrative_labels(record: Any) -> str:
    """The names of a record's illustrative fields, for its notice: 'planned investment, place'."""
    separator = ", " if translation.get_language() == "en" else "、"
    return separator.join(
        str(_field_label(record._meta.get_field(name)))
        for name in record.ILLUSTRATIVE_CHOICES
        if record.is_illustrative(name)
    )


def _field_label(field: Any) -> str:
    # A reverse relation (a project's participants) is named after the records it holds.
    if field.auto_created and not field.concrete:
        return str(field.related_model._meta.verbose_name_plural)
    return str(field.verbose_name)


@register.simple_block_tag
def scrolltable(content: str, label: str) -> SafeString:
    """A table that scrolls sideways inside its own box when a phone is narrower than it, instead
    of the page; its first column stays in view (CSS). Tab reaches the box, the arrow keys scroll
    it, and screen readers name it after the table: {% scrolltable _("Projects") %}<table>…
    ("Table: …", since the section around a table often bears the table's own name.)"""
    return format_html(
        '<div class="table-scroll" role="region" tabindex="0" aria-label="{}">{}</div>',
        _("Table: %(name)s") % {"name": label},
        content,
    )


# The Open Graph locale of each interface language.
OG_LOCALES = {"zh-hans": "zh_CN", "en": "en_GB"}


@register.simple_tag(takes_context=True)
def page_addresses(context: Context) -> dict[str, str]:
    """The page's absolute addresses for search engines and link previews: `canonical` (this
    language, without the query string), `alternates` as (hreflang, URL) for each language and
    x-default (the Chinese page), and the Open Graph locales."""
    request = context["request"]
    path = request.path
    current = translation.get_language()
    urls = {code: request.build_absolute_uri(translate_url(path, code)) for code in OG_LOCALES}
    alternates = [("zh-Hans", urls["zh-hans"]), ("en", urls["en"]), ("x-default", urls["zh-hans"])]
    return {
        "canonical": urls.get(current, request.build_absolute_uri(path)),
        "alternates": alternates,
        "og_locale": OG_LOCALES.get(current, "zh_CN"),
        "og_locale_alternates": [locale for code, locale in OG_LOCALES.items() if code != current],
    }

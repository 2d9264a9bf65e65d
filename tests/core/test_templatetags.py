import datetime
from decimal import Decimal

from django.utils import translation

from core.templatetags.portal import cny, cny_compact, precise_date


def test_money_is_shown_exactly_in_both_languages():
    with translation.override("zh-hans"):
        assert cny_compact(Decimal("410050000.00")) == "4.1005亿元"
        assert cny_compact(Decimal("62000000")) == "6200万元"
    with translation.override("en"):
        assert cny_compact(Decimal("410050000.00")) == "CNY 410.05 million"
        assert cny_compact(Decimal("1100000000")) == "CNY 1.1 billion"
    assert cny(Decimal("410050000.00")) == "410,050,000"
    assert cny(Decimal("1234.50")) == "1,234.50"


def test_dates_show_only_the_precision_the_source_gives():
    day = datetime.date(2024, 6, 1)
    with translation.override("zh-hans"):
        assert precise_date(day, "month") == "2024年6月"
        assert precise_date(day, "year") == "2024年"
    with translation.override("en"):
        assert precise_date(day, "month") == "June 2024"
        assert precise_date(day, "year") == "2024"

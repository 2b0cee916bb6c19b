"""和暦: era boundaries (改元の日 and the day before), 元年, and the template filters."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from musubi.platform.ui.wareki import era_of, to_date_en, to_date_ja, to_wareki, to_wareki_en


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2026, 11, 27), "令和8年11月27日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1990, 1, 1), "平成2年1月1日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1927, 1, 1), "昭和2年1月1日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1868, 10, 23), "明治元年10月23日"),
        (date(1900, 2, 28), "明治33年2月28日"),
        (date(2000, 2, 29), "平成12年2月29日"),
    ],
)
def test_to_wareki_boundaries(day, expected):
    assert to_wareki(day) == expected


def test_before_meiji_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="before the first known era"):
        to_wareki(date(1868, 10, 22))


def test_era_year_counts_from_the_start_year():
    era, year = era_of(date(2026, 1, 1))
    assert (era.name, era.romaji, year) == ("令和", "Reiwa", 8)


def test_english_forms():
    assert to_wareki_en(date(2026, 11, 27)) == "27 Nov 2026 (Reiwa 8)"
    assert to_wareki_en(date(2019, 5, 1)) == "1 May 2019 (Reiwa 1)"
    assert to_wareki_en(date(1989, 1, 7)) == "7 Jan 1989 (Showa 64)"
    assert to_date_en(date(2026, 11, 27)) == "27 Nov 2026"
    assert to_date_ja(date(2026, 11, 27)) == "2026年11月27日"


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load musubi_ui %}" + source).render(Context(context))


def test_filters_follow_the_active_language():
    day = date(2026, 11, 27)
    assert render("{{ d|wareki }}", "ja", d=day) == "令和8年11月27日"
    assert render("{{ d|wareki }}", "en", d=day) == "27 Nov 2026 (Reiwa 8)"
    assert render("{{ d|date_ja }}", "ja", d=day) == "2026年11月27日"
    assert render("{{ d|date_ja }}", "en", d=day) == "27 Nov 2026"


def test_filters_show_aware_datetimes_in_tokyo_time():
    # 2019-04-30 15:00 UTC is already 1 May in Tokyo: the first day of 令和.
    moment = datetime(2019, 4, 30, 15, 0, tzinfo=UTC)
    assert render("{{ d|wareki }}", "ja", d=moment) == "令和元年5月1日"


def test_filters_leave_missing_dates_blank_and_old_dates_in_iso():
    assert render("[{{ d|wareki }}][{{ d|date_ja }}]", "ja", d=None) == "[][]"
    assert render("{{ d|wareki }}", "ja", d=date(1850, 1, 2)) == "1850-01-02"

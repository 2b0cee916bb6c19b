"""Template helpers of the shell: dates in 和暦, links that tolerate missing apps, staff menu."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from musubi.platform.ui import services, wareki

register = template.Library()


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, date) else None


def _english() -> bool:
    return not (get_language() or "ja").startswith("ja")


@register.filter
def wareki_date(value: date | datetime | None) -> str:
    """令和8年11月27日 in Japanese, "27 Nov 2026 (Reiwa 8)" in English; "" for no date."""
    day = _as_date(value)
    if day is None:
        return ""
    try:
        return wareki.to_wareki_en(day) if _english() else wareki.to_wareki(day)
    except ValueError:
        return day.isoformat()


register.filter("wareki", wareki_date)


@register.filter
def date_ja(value: date | datetime | None) -> str:
    """2026年11月27日 in Japanese, "27 Nov 2026" in English; "" for no date."""
    day = _as_date(value)
    if day is None:
        return ""
    return wareki.to_date_en(day) if _english() else wareki.to_date_ja(day)


@register.simple_tag
def url_if_exists(url_name: str) -> str:
    """``{% url_if_exists "residents:search" as href %}``: the path, or "" if not routed yet."""
    return services.url_or_empty(url_name)


@register.simple_tag(takes_context=True)
def staff_nav(context: template.Context) -> list:
    """The staff menu entries the current user may open, as (link, path) pairs."""
    return services.visible_links(context["request"].user, services.STAFF_NAV)


@register.simple_tag
def staff_roles_of(user) -> list:
    """(department, role label) pairs for the staff header."""
    return services.staff_roles(user) if user.is_authenticated else []

"""Reminders go N days before the due date to the households that have not read, once."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from musubi.community.circulars import services
from musubi.community.circulars.notifications import send_due_reminders
from musubi.platform.notify.models import Message


def _reminders():
    return Message.objects.filter(source="circulars", template__code="circulars-reminder")


def _day(date: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, dt.time(8)))


def test_unread_households_are_reminded_once_on_their_day(town, post_circular, account):
    due = timezone.localdate() + dt.timedelta(days=7)
    circular = post_circular(due=due, remind_days_before=2)
    services.mark_read(circular, town.aoki_child, account(town.aoki_child))

    assert send_due_reminders(_day(due - dt.timedelta(days=3))) == 0
    assert not _reminders().exists()

    with time_machine.travel(_day(due - dt.timedelta(days=2)), tick=False):
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0  # a second run (or a second worker) sends nothing
    reminder = _reminders().get()
    assert reminder.audience["kind"] == "residents"
    assert sorted(reminder.audience["residents"]) == sorted([town.baba.number, town.chiba.number])
    assert "草刈りのお知らせ" in reminder.rendered["ja"]["body"]
    circular.refresh_from_db()
    assert circular.reminded_at is not None


def test_nothing_is_sent_when_everyone_has_read_or_the_due_date_passed(
    town, post_circular, account
):
    due = timezone.localdate() + dt.timedelta(days=7)
    everyone_read = post_circular(due=due)
    for resident in (town.aoki, town.baba, town.chiba):
        services.mark_read(everyone_read, resident, account(resident))
    late = post_circular(due=due - dt.timedelta(days=5))
    with time_machine.travel(_day(due), tick=False):
        assert send_due_reminders() == 1  # everyone_read is claimed, but no message
    assert not _reminders().exists()
    late.refresh_from_db()
    assert late.reminded_at is None

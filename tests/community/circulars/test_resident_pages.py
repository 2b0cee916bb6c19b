"""Residents' pages: the household's list, reading only by 「確認しました」, replying."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.urls import reverse
from django.utils import timezone

from musubi.community.circulars.models import QuestionKind, Read
from musubi.community.circulars.services import QuestionDraft


def japanese_outside_names(html: str) -> list[str]:
    """Japanese on the page besides the way back to 日本語 and registry names (data)."""
    for name in ("日本語", "馬場", "太郎"):
        html = html.replace(name, "")
    return re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+", html)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("circulars:index"))
    assert response.status_code == 302 and "login" in response.url


def test_an_unlinked_account_is_told_to_link_it(client, django_user_model, db):
    user = django_user_model.objects.create_user(username="x", email="x@example.jp", password="p")
    client.force_login(user)
    page = client.get(reverse("circulars:index")).content.decode()
    assert "住民記録と連携" in page


def test_opening_a_circular_does_not_mark_it_read_the_button_does(
    town, post_circular, resident_client
):
    circular = post_circular()
    client = resident_client(town.aoki_child)
    listing = client.get(reverse("circulars:index")).content.decode()
    assert "草刈りのお知らせ" in listing and "未読" in listing
    page = client.get(reverse("circulars:detail", args=[circular.pk])).content.decode()
    assert "6月1日に草刈りを行います。" in page and "確認しました" in page
    assert not Read.objects.exists()

    response = client.post(reverse("circulars:read", args=[circular.pk]))
    assert response.status_code == 302
    assert Read.objects.get().resident == town.aoki_child


def test_every_member_sees_who_in_the_household_read(town, post_circular, resident_client, account):
    circular = post_circular()
    from musubi.community.circulars import services

    services.mark_read(circular, town.aoki_child, account(town.aoki_child))
    page = resident_client(town.aoki).get(reverse("circulars:detail", args=[circular.pk]))
    assert "青木 花子 さんが" in page.content.decode()
    listing = resident_client(town.aoki).get(reverse("circulars:index")).content.decode()
    assert "確認済み" in listing


def test_other_districts_cannot_open_it(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.outsider)
    assert client.get(reverse("circulars:detail", args=[circular.pk])).status_code == 404
    assert client.post(reverse("circulars:read", args=[circular.pk])).status_code == 404


def test_reply_is_kept_and_a_wrong_one_shows_what_to_fix(town, post_circular, resident_client):
    circular = post_circular(
        questions=[
            QuestionDraft(QuestionKind.ATTENDANCE),
            QuestionDraft(QuestionKind.TEXT, {"ja": "ご意見"}),
        ]
    )
    attendance, comment = circular.questions.all()
    client = resident_client(town.baba)
    url = reverse("circulars:reply", args=[circular.pk])
    refused = client.post(url, {f"q{comment.pk}": "よろしく"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "答えを選んでください" in page and 'value="よろしく"' in page
    assert not circular.replies.exists()

    assert client.post(url, {f"q{attendance.pk}": "attend"}).status_code == 302
    assert client.post(url, {f"q{attendance.pk}": "absent"}).status_code == 302
    assert circular.replies.get().answers == {str(attendance.pk): "absent"}


def test_after_the_due_date_the_reply_is_refused_with_the_reason(
    town, post_circular, resident_client
):
    due = timezone.localdate() + dt.timedelta(days=1)
    circular = post_circular(questions=[QuestionDraft(QuestionKind.APPROVAL)], due=due)
    (question,) = circular.questions.all()
    client = resident_client(town.baba)
    later = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(10)))
    with time_machine.travel(later, tick=False):
        page = client.get(reverse("circulars:detail", args=[circular.pk])).content.decode()
        assert "過ぎたため、回答できません" in page
        refused = client.post(
            reverse("circulars:reply", args=[circular.pk]), {f"q{question.pk}": "for"}
        )
    assert refused.status_code == 400
    assert "過ぎたため、回答できません" in refused.content.decode()
    assert not circular.replies.exists()


def test_english_pages_show_the_english_text_and_no_japanese(town, post_circular, resident_client):
    circular = post_circular(questions=[QuestionDraft(QuestionKind.ATTENDANCE)])
    client = resident_client(town.baba)
    client.cookies["django_language"] = "en"
    for url in (reverse("circulars:index"), reverse("circulars:detail", args=[circular.pk])):
        html = client.get(url).content.decode()
        assert "Grass cutting" in html
        assert japanese_outside_names(html) == []

"""The resident's notification settings: order and refusals, the household's reach, LINE, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from musubi.platform.accounts.models import User
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify import fanout
from musubi.platform.notify.models import Message, NotifyPreference
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint, Relationship, Resident

PAGE = reverse("notify:preferences")
LINE_ID = "U" + "a" * 32


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def resident(register_resident) -> Resident:
    return register_resident()


@pytest.fixture
def resident_client(client, resident):
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )
    residents.link_account(user, resident, "demo")
    client.force_login(user)
    return client


def _contact(resident: Resident, kind: str, value: str, verified: bool = True) -> ContactPoint:
    return ContactPoint.objects.create(resident=resident, kind=kind, value=value, verified=verified)


def _form(order=("line", "webpush", "email", "sms"), refuse=()) -> dict:
    return {**{f"rank_{code}": str(i) for i, code in enumerate(order, 1)}, "refuse": list(refuse)}


def _audits(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


@pytest.mark.django_db
def test_signing_in_is_required(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.django_db
def test_an_account_without_a_resident_is_told_so_and_can_change_nothing(client):
    user = User.objects.create_user(username="x@example.jp", email="x@example.jp", password="p")
    client.force_login(user)
    html = client.get(PAGE).content.decode()
    assert "まだ住民記録と連携されていません" in html
    assert client.post(PAGE, _form()).status_code == 403
    response = client.post(reverse("notify:preferences_email"), {"email": "x@example.jp"})
    assert response.status_code == 403
    assert not NotifyPreference.objects.exists() and not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_the_page_lists_every_channel_with_its_state_and_the_emergency_rule(
    resident_client, resident
):
    _contact(resident, "email", "hanako@example.jp")
    _contact(resident, "mobile", "09012345678", verified=False)
    html = resident_client.get(PAGE).content.decode()
    for label in ("LINE", "ブラウザー通知", "メール", "SMS", "紙・訪問", "お知らせページ"):
        assert label in html
    assert "確認済み" in html and "未確認（SMSで届く確認コード" in html
    assert "受け取らないとした方法には、緊急時もお送りしません" in html
    assert reverse("notify:line_link") in html and "LINEと連携する" in html


@pytest.mark.django_db
def test_the_chosen_order_is_what_a_routine_notice_uses(resident_client, resident):
    _contact(resident, "email", "hanako@example.jp")
    _contact(resident, "line", LINE_ID)
    response = resident_client.post(PAGE, _form(("email", "line", "webpush", "sms")))
    assert response.status_code == 302
    preference = NotifyPreference.objects.get(resident=resident)
    assert preference.order == ["email", "line", "webpush", "sms"] and preference.opted_out == []
    message = Message(rendered={"ja": {"subject": "s", "body": "b"}}, emergency=False)
    planned = fanout.plan(message, Resident.objects.filter(pk=resident.pk))
    assert [(d.channel, d.address) for d in planned] == [("email", "hanako@example.jp")]
    assert "通知の受け取り方" in _audits("update")[-1].what


@pytest.mark.django_db
def test_a_refused_channel_is_left_out_even_in_an_emergency(resident_client, resident):
    _contact(resident, "email", "hanako@example.jp")
    _contact(resident, "line", LINE_ID)
    resident_client.post(PAGE, _form(refuse=["line"]))
    message = Message(rendered={"ja": {"subject": "s", "body": "b"}}, emergency=True)
    planned = fanout.plan(message, Resident.objects.filter(pk=resident.pk))
    assert [d.channel for d in planned] == ["email"]


@pytest.mark.django_db
def test_refusing_every_digital_channel_leaves_letters_and_visits(resident_client, resident):
    _contact(resident, "email", "hanako@example.jp")
    everything = ["line", "webpush", "email", "sms"]
    assert resident_client.post(PAGE, _form(refuse=everything)).status_code == 302
    assert NotifyPreference.objects.get().opted_out == sorted(everything)
    message = Message(rendered={"ja": {"subject": "s", "body": "b"}}, emergency=True)
    planned = fanout.plan(message, Resident.objects.filter(pk=resident.pk))
    assert [d.channel for d in planned] == ["paper"]


@pytest.mark.django_db
def test_paper_cannot_be_refused_and_the_ticks_are_kept(resident_client, resident):
    response = resident_client.post(PAGE, _form(refuse=["email", "paper"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "「paper」という受け取り方はありません" in html
    assert 'id="refuse-email" name="refuse" value="email" checked' in html
    assert not NotifyPreference.objects.exists()


@pytest.mark.django_db
def test_two_channels_on_the_same_rank_are_refused_and_the_ranks_kept(resident_client):
    form = {**_form(), "rank_email": "1"}
    response = resident_client.post(PAGE, form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "違う番号を選んでください" in html
    assert 'id="rank-email" name="rank_email" aria-invalid="true"' in html
    assert not NotifyPreference.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({**_form(), "rank_sms": "abc"}, "一覧から番号を選んでください"),
        ({**_form(), "rank_sms": ""}, "一覧から番号を選んでください"),
        ({**_form(), "rank_sms": "9"}, "一覧から番号を選んでください"),
        (_form(refuse=["fax"]), "「fax」という受け取り方はありません"),
    ],
)
def test_tampered_fields_get_a_message_not_a_500(resident_client, form, message):
    response = resident_client.post(PAGE, form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NotifyPreference.objects.exists()


@pytest.mark.django_db
def test_unlinking_line_removes_the_contact_and_is_audited(resident_client, resident):
    contact = _contact(resident, "line", LINE_ID)
    assert "LINEと連携しています" in resident_client.get(PAGE).content.decode()
    response = resident_client.post(reverse("notify:preferences_remove", args=[contact.pk]))
    assert response.status_code == 302
    assert not ContactPoint.objects.filter(kind="line").exists()
    record = _audits("delete")[-1]
    assert (record.subject_type, record.subject_id) == ("contactpoint", str(contact.pk))
    assert "LINEとは連携していません" in resident_client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_a_blocked_line_account_is_shown_as_not_reachable(resident_client, resident):
    _contact(resident, "line", LINE_ID, verified=False)
    assert "ブロックされているため" in resident_client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_someone_elses_contact_cannot_be_removed(resident_client, register_resident):
    other = register_resident(given_name="次郎", given_name_kana="ジロウ", banchi="9-9")
    contact = _contact(other, "email", "jiro@example.jp")
    response = resident_client.post(reverse("notify:preferences_remove", args=[contact.pk]))
    assert response.status_code == 400
    assert "この連絡先は見つかりません" in response.content.decode()
    assert ContactPoint.objects.filter(pk=contact.pk).exists()


def _add_member(head: Resident, given: str) -> Resident:
    person = residents.PersonDetails(
        "駒ヶ根", given, "コマガネ", "タロウ", dt.date(1960, 1, 1), "1"
    )
    return residents.move_in(
        person, household=head.household, relationship=Relationship.SPOUSE, on=dt.date(2021, 1, 1)
    )


@pytest.mark.django_db
def test_the_household_is_reached_through_another_member(resident_client, resident):
    spouse = _add_member(resident, "太郎")
    html = resident_client.get(PAGE).content.decode()
    assert "駒ヶ根 太郎" in html and "紙（郵送）または訪問でお届けします" in html
    _contact(spouse, "email", "taro@example.jp")
    html = resident_client.get(PAGE).content.decode()
    assert "確認済みのデジタルの連絡先でお知らせが届きます" in html
    assert "taro@example.jp" not in html


@pytest.mark.django_db
def test_refusing_the_only_channel_sends_the_household_to_paper(resident_client, resident):
    _contact(resident, "email", "hanako@example.jp")
    resident_client.post(PAGE, _form(refuse=["email"]))
    assert "紙（郵送）または訪問でお届けします" in resident_client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_the_page_speaks_english(resident_client):
    resident_client.cookies["django_language"] = "en"
    try:
        html = resident_client.get(PAGE).content.decode()
        error = resident_client.post(PAGE, _form(refuse=["paper"])).content.decode()
    finally:
        translation.activate("ja")
    assert "How you receive notices" in html
    assert "Emergency notices go to every way you have not refused" in html
    assert "There is no way of receiving called &quot;paper&quot;" in error

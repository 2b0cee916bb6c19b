"""Public notices, the Atom feed, the acknowledgement link and the staff back office."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from musubi.platform.accounts.models import Role
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify import outbox, reach, services, staff_views
from musubi.platform.notify.models import Acknowledgement, Delivery, Message, MessageState

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def sent(town, compose):
    message = compose(needs_ack=True)
    services.fan_out(message)
    outbox.Worker(emergency=False).drain()
    return message


def test_the_notices_page_lists_published_notices_with_pages(client, sent, compose):
    hidden = compose(publish_onsite=False)
    services.fan_out(hidden)
    outbox.Worker(emergency=False).drain()
    page = client.get(reverse("notify:notices")).content.decode()
    assert "断水のお知らせ（6月1日）" in page
    assert reverse("notify:notice", args=[sent.pk]) in page
    assert reverse("notify:notice", args=[hidden.pk]) not in page
    assert client.get(reverse("notify:notice", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("notify:notices") + "?page=99").status_code == 200


def test_the_feed_is_atom_with_the_required_elements(client, sent):
    response = client.get(reverse("notify:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "断水のお知らせ（6月1日）"
    assert entry.find(f"{ATOM}id").text.endswith(f"/notices/{sent.pk}/")
    assert entry.find(f"{ATOM}updated").text
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/notices/{sent.pk}/")


def test_the_acknowledgement_link_records_once_and_counts_as_reached(client, sent, town):
    household = town.households["paper"]
    url = reverse("notify:ack", args=[outbox.ack_token(sent.pk, household.pk)])
    assert "受け取りました" in client.get(url).content.decode()
    assert not Acknowledgement.objects.exists()  # a GET (a mail scanner) records nothing
    assert household.pk not in reach.reached_households(sent)
    client.post(url)
    client.post(url)
    assert Acknowledgement.objects.filter(message=sent, household=household).count() == 1
    assert household.pk in reach.reached_households(sent)


def test_a_forged_acknowledgement_link_is_refused(client, sent):
    response = client.get(reverse("notify:ack", args=["forged-token"]))
    assert response.status_code == 400
    assert "無効" in response.content.decode()


@pytest.fixture
def sender(make_staff, signed_in, somu):
    return signed_in(make_staff("somu", "notify.view", "notify.send"))


def test_compose_previews_the_count_then_sends_on_confirmation(sender, town, template):
    url = reverse("notify:staff_compose", args=[template.code])
    form = {"value_date": "6月1日", "value_area": "中沢", "audience_kind": "district",
            "district": "nakazawa", "publish_onsite": "on"}  # fmt: skip
    preview = sender.post(url, form).content.decode()
    assert "2 世帯（3 人）に送信します。" in preview
    assert not Message.objects.exists()
    response = sender.post(url, form | {"confirmed": "yes"})
    message = Message.objects.get()
    assert response.status_code == 302
    assert message.audience == {"kind": "district", "district": "nakazawa", "district_name": "中沢"}
    assert message.state == MessageState.SCHEDULED


def test_compose_says_what_is_missing(sender, town, template):
    url = reverse("notify:staff_compose", args=[template.code])
    page = sender.post(url, {"value_date": "6月1日", "audience_kind": "kumi"}).content.decode()
    assert "この宛先では必須です。" in page and "この項目は必須です。" in page
    assert not Message.objects.exists()


def test_a_template_with_a_bad_placeholder_is_refused_on_the_page(sender):
    page = sender.post(reverse("notify:staff_template_new"), {
        "code": "t1", "name": "t", "placeholders": "date", "subject_ja": "件名",
        "body_ja": "{date}と{place}",
    }).content.decode()  # fmt: skip
    assert "ja：差し込み項目「{place}」は定義されていません。" in page


def _edited(template, **changes) -> dict:
    """The edit form as a staff member would send it: every field, some changed."""
    form = {"name": template.name, "subject_ja": template.subjects["ja"],
            "body_ja": template.bodies["ja"], "subject_en": template.subjects.get("en", ""),
            "body_en": template.bodies.get("en", "")}  # fmt: skip
    return form | changes


def test_a_template_is_edited_and_composed_messages_keep_their_text(sender, template, compose):
    composed = compose()
    template.subjects["pt"], template.bodies["pt"] = "Corte de água ({date})", "{area}: {date}."
    template.save()  # a language the form does not show
    url = reverse("notify:staff_template_edit", args=[template.code])
    assert "断水のお知らせ（{date}）" in sender.get(url).content.decode()
    changed = _edited(template, subject_ja="【断水】{area}（{date}）", code="renamed",
                      placeholders="date")  # fmt: skip
    assert sender.post(url, changed).status_code == 302
    template.refresh_from_db()
    assert (template.code, template.placeholders) == ("water-stop", ["date", "area"])  # fixed
    assert template.subjects == {"ja": "【断水】{area}（{date}）", "en": "Water outage ({date})",
                                 "pt": "Corte de água ({date})"}  # fmt: skip
    composed.refresh_from_db()
    assert composed.rendered["ja"]["subject"] == "断水のお知らせ（6月1日）"


def test_an_edit_with_a_bad_placeholder_is_refused_and_what_was_typed_kept(sender, template):
    url = reverse("notify:staff_template_edit", args=[template.code])
    page = sender.post(url, _edited(template, body_ja="{date}と{place}")).content.decode()
    assert "ja：差し込み項目「{place}」は定義されていません。" in page
    assert "{date}と{place}" in page
    template.refresh_from_db()
    assert template.bodies["ja"] == "{date}に{area}で断水します。"


def test_a_reworded_pre_approved_template_loses_its_approval_unless_the_editor_may_approve(
    make_staff, signed_in, template
):
    template.emergency_approved = True
    template.save()
    url = reverse("notify:staff_template_edit", args=[template.code])
    clerk = signed_in(make_staff("somu", "notify.send"))
    clerk.post(url, _edited(template, name="断水（改）"))
    template.refresh_from_db()
    assert (template.name, template.emergency_approved) == ("断水（改）", True)
    clerk.post(url, _edited(template, body_ja="{date}、{area}の水道が止まります。"))
    template.refresh_from_db()
    assert not template.emergency_approved
    chief = signed_in(make_staff("somu", "notify.send", "notify.emergency", role=Role.SUPERVISOR))
    chief.post(url, _edited(template, body_ja="{area}で{date}に断水。", emergency_approved="on"))
    template.refresh_from_db()
    assert template.emergency_approved and template.bodies["ja"] == "{area}で{date}に断水。"


def test_another_departments_template_is_not_editable(sender, template):
    from musubi.platform.accounts.models import Department

    template.department = Department.objects.create(code="kodomo", name="こども課")
    template.save()
    url = reverse("notify:staff_template_edit", args=[template.code])
    assert sender.get(url).status_code == 404
    assert url not in sender.get(reverse("notify:staff_choose")).content.decode()


def test_the_message_list_finds_by_subject_or_audience_state_and_emergency(
    sender, compose, monkeypatch
):
    water = compose(audience={"kind": "district", "district": "nakazawa", "district_name": "中沢"})
    english = compose(values={"date": "1 June", "area": "Higashi"})
    urgent = compose(emergency=True)
    Message.objects.filter(pk=english.pk).update(state=MessageState.SENT)
    url = reverse("notify:staff_messages")

    def found(**query) -> set[int]:
        return {m.pk for m in sender.get(url, query).context["page"]}

    assert found() == {water.pk, english.pk, urgent.pk}
    assert found(q="中沢") == {water.pk}  # the audience
    assert found(q="water outage (1 june") == {english.pk}  # the English subject, any case
    assert found(state="sent") == {english.pk}
    assert found(emergency="1") == {urgent.pk}
    assert found(q="6月1日", state="bogus") == {water.pk, urgent.pk}  # an unknown state: ignored
    monkeypatch.setattr(staff_views, "PAGE_SIZE", 1)
    links = sender.get(url, {"q": "6月1日", "page": "2"}).content.decode()
    assert 'href="?q=6%E6%9C%881%E6%97%A5&amp;page=1"' in links  # the filter kept, one page
    page = sender.get(url, {"q": "該当なし"}).content.decode()
    assert "条件に合うお知らせはありません。" in page and 'value="該当なし"' in page


def test_reach_deliveries_csv_and_the_paper_list(sender, sent, town):
    detail = sender.get(reverse("notify:staff_message", args=[sent.pk])).content.decode()
    assert "到達率 50.0%（2 / 4 世帯、受取確認 0 世帯）" in detail
    listing = sender.get(reverse("notify:staff_deliveries", args=[sent.pk]) + "?q=jiro")
    assert "jiro@example.jp" in listing.content.decode()
    assert "ichiro@example.jp" not in listing.content.decode()
    csv = sender.get(reverse("notify:staff_deliveries", args=[sent.pk]) + "?format=csv")
    assert csv.content.decode("utf-8-sig").count("\n") == 1 + 6
    paper = sender.get(reverse("notify:staff_paper", args=[sent.pk]) + "?format=csv")
    lines = paper.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "区,組,世帯番号,世帯主,郵便番号,住所" and len(lines) == 3
    assert AuditRecord.objects.filter(action__in=["search", "export"]).count() == 3
    household = town.households["paper"]
    sender.post(reverse("notify:staff_paper", args=[sent.pk]), {"household": [household.pk]})
    assert household.pk in reach.reached_households(sent)


def _somu():
    from musubi.platform.accounts.models import Department

    return Department.objects.get(code="somu")


def test_other_departments_do_not_see_the_message(make_staff, signed_in, sent):
    other = signed_in(make_staff("kodomo", "notify.view"))
    assert other.get(reverse("notify:staff_message", args=[sent.pk])).status_code == 404
    nobody = signed_in(make_staff("zeimu"))
    assert nobody.get(reverse("notify:staff_messages")).status_code == 403


def test_an_emergency_needs_a_second_approver_when_configured(
    settings, make_staff, signed_in, town, compose
):
    settings.NOTIFY_EMERGENCY_SECOND_APPROVER = True
    author = make_staff("somu", "notify.view", "notify.send", "notify.emergency", "notify.approve")
    message = compose(emergency=True)
    Message.objects.filter(pk=message.pk).update(created_by=author)
    assert message.state == MessageState.AWAITING_APPROVAL
    assert services.dispatch_due() == 0
    client = signed_in(author)
    client.post(reverse("notify:staff_approve", args=[message.pk]))
    message.refresh_from_db()
    assert message.state == MessageState.AWAITING_APPROVAL  # not by its own author
    second = make_staff("somu", role="head")
    from musubi.platform.accounts.models import PermissionGrant

    PermissionGrant.objects.create(department=_somu(), role="head", permission="notify.approve")
    PermissionGrant.objects.create(department=_somu(), role="head", permission="notify.view")
    client.force_login(second)
    session = client.session
    session["staff_mfa_passed"] = True
    session.save()
    client.post(reverse("notify:staff_approve", args=[message.pk]))
    message.refresh_from_db()
    assert (message.state, message.approved_by) == (MessageState.SCHEDULED, second)
    assert services.dispatch_due() > 0
    assert Delivery.objects.filter(message=message, emergency=True).exists()


def test_a_pre_approved_template_needs_no_second_approver(settings, town, compose, template):
    settings.NOTIFY_EMERGENCY_SECOND_APPROVER = True
    template.emergency_approved = True
    template.save()
    assert compose(emergency=True).state == MessageState.SCHEDULED

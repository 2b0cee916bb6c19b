"""Households on paper: leaders record the returned sign-off sheet (回覧済み（紙） and the answer
slips), all rows or none, only in their area, only until the due date, never over an online
answer; reads, tallies, CSV, API and the status page count them and show they came on paper."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from musubi.community.circulars import leaders, oversight, paper, services
from musubi.community.circulars.leaders import CITY_WIDE, Area
from musubi.community.circulars.models import QuestionKind, Read, Reply, Via
from musubi.community.circulars.services import CircularError, QuestionDraft
from musubi.platform.audit.models import AuditRecord

ATTENDANCE = QuestionDraft(QuestionKind.ATTENDANCE)
COMMENT = QuestionDraft(QuestionKind.TEXT, {"ja": "ご意見"})
BASE = "/api/v1"


@pytest.fixture
def asking(post_circular):
    """A 区-wide circular with 出欠 and a comment; ``(circular, attendance id, comment id)``."""
    circular = post_circular(questions=[ATTENDANCE, COMMENT])
    attendance, comment = (str(q.pk) for q in circular.questions.all())
    return circular, attendance, comment


def _where(account, resident):
    return leaders.jurisdiction_of(account(resident))


def _record(circular, account, by, *entries):
    user = account(by)
    return paper.record(circular, list(entries), by=user, where=leaders.jurisdiction_of(user))


def test_entries_are_read_from_the_sheet_fields_and_junk_is_ignored():
    entries = paper.entries_from(
        {
            "read-7": "1",
            "answer-7-3": "attend",
            "answer-8-3": "",
            "read-x": "1",
            "answer-9": "attend",
            "read-12345678901234567890": "1",
            "csrfmiddlewaretoken": "t",
        }
    )
    assert entries == [paper.Entry(7, True, {"3": "attend"})]


def test_a_sheet_counts_stamps_and_answers_as_paper(town, asking, account):
    circular, attendance, comment = asking
    aoki, baba = town.aoki.household_id, town.baba.household_id
    changed = _record(
        circular,
        account,
        town.kumicho,
        paper.Entry(aoki, stamped=True),
        paper.Entry(baba, answers={attendance: "absent", comment: "雨なら中止で"}),
    )
    assert changed == 2
    stamp = Read.objects.get(household_id=aoki)
    assert stamp.via == Via.PAPER and stamp.resident is None
    assert stamp.recorded_by == account(town.kumicho)
    slip = Reply.objects.get(household_id=baba)
    assert (slip.via, slip.answered_by, slip.recorded_by) == (
        Via.PAPER,
        None,
        account(town.kumicho),
    )
    assert Read.objects.get(household_id=baba).via == Via.PAPER  # a slip means it was read
    table = oversight.rows(circular, CITY_WIDE)
    summary = oversight.summary(table)
    assert (summary.read, summary.read_on_paper, summary.replied_on_paper) == (2, 2, 1)
    counts, texts = oversight.tallies(circular, table)
    assert [(o.value, n, p) for o, n, p in counts.counts] == [("attend", 0, 0), ("absent", 1, 1)]
    assert texts.texts == [("雨なら中止で", True)]
    assert list(oversight.unread_households(circular)) == [town.chiba.household]


def test_one_bad_row_records_nothing_and_names_the_row(town, asking, account):
    circular, attendance, _comment = asking
    aoki, baba = town.aoki.household_id, town.baba.household_id
    with pytest.raises(CircularError) as refused:
        _record(
            circular,
            account,
            town.kucho,
            paper.Entry(aoki, stamped=True),
            paper.Entry(baba, answers={attendance: "maybe"}),
        )
    assert refused.value.message_dict == {
        f"{baba}-{attendance}": ["「出欠」の答えを選んでください。"]
    }
    assert not Read.objects.exists() and not Reply.objects.exists()


def test_a_household_outside_the_leaders_kumi_is_refused(town, asking, account):
    circular, _attendance, _comment = asking
    chiba = town.chiba.household_id  # 組2: the 組長 of 組1 may not record it
    with pytest.raises(CircularError) as refused:
        _record(circular, account, town.kumicho, paper.Entry(chiba, stamped=True))
    assert refused.value.message_dict == {str(chiba): ["担当していない区・組の世帯です。"]}
    assert _record(circular, account, town.kucho, paper.Entry(chiba, stamped=True)) == 1


def test_a_household_the_circular_does_not_target_is_refused(town, post_circular, account):
    circular = post_circular(targets=[Area(town.district.pk, town.kumi2.pk)])
    for household in (town.outsider.household_id, town.aoki.household_id):
        with pytest.raises(CircularError) as refused:
            _record(circular, account, town.kucho, paper.Entry(household, stamped=True))
        assert refused.value.message_dict == {
            str(household): ["この世帯はこの回覧の対象ではありません。"]
        }
    assert not Read.objects.exists()


def test_after_the_due_date_recording_is_refused_with_the_date(town, post_circular, account):
    due = timezone.localdate() + dt.timedelta(days=1)
    circular = post_circular(due=due)
    with time_machine.travel(due + dt.timedelta(days=2)), pytest.raises(CircularError) as late:
        _record(circular, account, town.kucho, paper.Entry(town.aoki.household_id, stamped=True))
    assert "期限" in late.value.messages[0] and str(due.day) in late.value.messages[0]
    assert not Read.objects.exists()


def test_a_withdrawn_circular_takes_no_paper_entries(town, post_circular, account):
    circular = post_circular()
    services.withdraw(circular, by=account(town.kucho), where=_where(account, town.kucho))
    with pytest.raises(CircularError, match="取り下げ"):
        _record(circular, account, town.kucho, paper.Entry(town.aoki.household_id, stamped=True))


def test_an_empty_sheet_and_answers_without_questions_are_refused(town, post_circular, account):
    circular = post_circular()
    with pytest.raises(CircularError, match="入力してください"):
        _record(circular, account, town.kucho)
    aoki = town.aoki.household_id
    with pytest.raises(CircularError) as refused:
        _record(circular, account, town.kucho, paper.Entry(aoki, answers={"1": "attend"}))
    assert refused.value.message_dict == {str(aoki): ["この回覧には回答する質問がありません。"]}


def test_paper_never_overwrites_an_online_answer(town, asking, account):
    circular, attendance, _comment = asking
    services.reply(circular, town.aoki, account(town.aoki), {attendance: "attend"})
    aoki = town.aoki.household_id
    with pytest.raises(CircularError) as refused:
        _record(circular, account, town.kucho, paper.Entry(aoki, answers={attendance: "absent"}))
    assert "ウェブで回答済み" in refused.value.message_dict[str(aoki)][0]
    assert Reply.objects.get().answers == {attendance: "attend"}
    # a stamp for a household already read online adds nothing
    assert _record(circular, account, town.kucho, paper.Entry(aoki, stamped=True)) == 0
    assert not Read.objects.filter(via=Via.PAPER).exists()


def test_a_later_online_answer_replaces_the_paper_one(town, asking, account):
    circular, attendance, _comment = asking
    baba = town.baba.household_id
    _record(circular, account, town.kucho, paper.Entry(baba, answers={attendance: "absent"}))
    services.mark_read(circular, town.baba, account(town.baba))
    services.reply(circular, town.baba, account(town.baba), {attendance: "attend"})
    reply = Reply.objects.get()
    assert (reply.via, reply.answers, reply.answered_by, reply.recorded_by) == (
        Via.WEB,
        {attendance: "attend"},
        town.baba,
        None,
    )


def test_the_same_slip_twice_changes_nothing_and_a_corrected_slip_replaces(town, asking, account):
    circular, attendance, _comment = asking
    baba = town.baba.household_id
    entry = paper.Entry(baba, answers={attendance: "absent"})
    assert _record(circular, account, town.kucho, entry) == 1
    assert _record(circular, account, town.kucho, entry) == 0
    fixed = paper.Entry(baba, answers={attendance: "attend"})
    assert _record(circular, account, town.kucho, fixed) == 1
    assert Reply.objects.get().answers == {attendance: "attend"}


# --- pages ------------------------------------------------------------------------------------


def test_the_leader_records_the_sheet_on_the_paper_page(town, asking, resident_client):
    circular, attendance, comment = asking
    client = resident_client(town.kumicho)
    url = reverse("circulars:lead_paper", args=[circular.pk])
    page = client.get(url).content.decode()
    aoki, baba = town.aoki.household_id, town.baba.household_id
    assert f'name="read-{aoki}"' in page and f'name="answer-{baba}-{attendance}"' in page
    assert "上書きしません" in page
    response = client.post(
        url,
        {
            f"read-{aoki}": "1",
            f"answer-{baba}-{attendance}": "attend",
            f"answer-{baba}-{comment}": "",
        },
    )
    assert response.status_code == 302
    assert Read.objects.filter(via=Via.PAPER).count() == 2
    update = AuditRecord.objects.get(subject_type="circular", action="update")
    assert "2 households" in update.what
    after = client.get(url).content.decode()
    assert "確認済み（紙）" in after and f'name="read-{aoki}"' not in after
    status = client.get(reverse("circulars:lead_detail", args=[circular.pk])).content.decode()
    assert "（うち紙 2）" in status and "（うち紙 1）" in status
    csv = client.get(reverse("circulars:lead_csv", args=[circular.pk])).content.decode()
    assert "青木 太郎,1組,既読,紙,（紙の確認欄）" in csv and ",紙,出席," in csv


def test_a_refused_sheet_keeps_what_was_typed(town, asking, resident_client):
    circular, attendance, comment = asking
    client = resident_client(town.kumicho)
    url = reverse("circulars:lead_paper", args=[circular.pk])
    aoki, chiba = town.aoki.household_id, town.chiba.household_id
    response = client.post(
        url,
        {
            f"read-{aoki}": "1",
            f"answer-{aoki}-{comment}": "駐車場はありますか",
            f"answer-{aoki}-{attendance}": "attend",
            f"read-{chiba}": "1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "担当していない区・組の世帯です。" in page
    assert 'value="駐車場はありますか"' in page
    assert re.search(rf'id="read-{aoki}" name="read-{aoki}" value="1"\s+checked', page)
    assert re.search(r'<option value="attend"\s+selected>', page)
    assert not Read.objects.exists() and not Reply.objects.exists()


def test_after_the_due_date_the_page_shows_the_date_and_no_form(
    town, post_circular, resident_client
):
    due = timezone.localdate() + dt.timedelta(days=1)
    circular = post_circular(due=due, questions=[ATTENDANCE])
    client = resident_client(town.kucho)
    url = reverse("circulars:lead_paper", args=[circular.pk])
    with time_machine.travel(due + dt.timedelta(days=2)):
        page = client.get(url).content.decode()
        refused = client.post(url, {f"read-{town.aoki.household_id}": "1"})
    assert due.strftime("%Y-%m-%d") in page and "read-" not in page
    assert refused.status_code == 400 and "期限" in refused.content.decode()
    assert not Read.objects.exists()


def test_staff_record_for_any_district(town, asking, make_staff, signed_in):
    circular, _attendance, _comment = asking
    staff = make_staff("shimin", "circulars.post")
    url = reverse("circulars:staff_paper", args=[circular.pk])
    assert signed_in(staff).post(url, {f"read-{town.chiba.household_id}": "1"}).status_code == 302
    assert Read.objects.get().recorded_by == staff


def test_the_household_sees_its_paper_entries_and_may_answer_online(
    town, asking, account, resident_client
):
    circular, attendance, _comment = asking
    baba = town.baba.household_id
    _record(circular, account, town.kucho, paper.Entry(baba, answers={attendance: "absent"}))
    page = resident_client(town.baba).get(reverse("circulars:detail", args=[circular.pk]))
    text = page.content.decode()
    assert "紙の回覧の確認印が記録されました" in text and "紙の回答に置き換わります" in text


def test_the_api_counts_paper_entries(town, asking, account, resident_client):
    circular, attendance, _comment = asking
    baba = town.baba.household_id
    _record(circular, account, town.kucho, paper.Entry(baba, answers={attendance: "absent"}))
    client = resident_client(town.kumicho)
    unread = client.get(f"{BASE}/circulars/{circular.pk}/unread/").json()
    assert (unread["read"], unread["read_on_paper"]) == (1, 1)
    tallies = client.get(f"{BASE}/circulars/{circular.pk}/tallies/").json()
    assert tallies["replied_on_paper"] == 1
    assert tallies["questions"][0]["counts"][1] == {
        "value": "absent",
        "label": "欠席",
        "count": 1,
        "on_paper": 1,
    }
    mine = resident_client(town.baba).get(f"{BASE}/me/circulars/{circular.pk}/").json()
    assert mine["read_by"] == [
        {"name": None, "via": "paper", "read_at": mine["read_by"][0]["read_at"]}
    ]
    assert mine["reply"]["via"] == "paper" and mine["reply"]["answered_by"] is None


# --- taking a row back -----------------------------------------------------------------------


def test_undo_takes_back_only_the_paper_entries(town, asking, account):
    circular, attendance, _comment = asking
    aoki, baba = town.aoki.household_id, town.baba.household_id
    _record(
        circular, account, town.kumicho,
        paper.Entry(aoki, stamped=True), paper.Entry(baba, answers={attendance: "attend"}),
    )  # fmt: skip
    services.mark_read(circular, town.baba, account(town.baba))  # then read online too
    where = _where(account, town.kumicho)
    assert paper.undo(circular, baba, where=where) == 2  # baba's paper stamp and slip
    assert list(Read.objects.filter(household_id=baba).values_list("via", flat=True)) == ["web"]
    assert not Reply.objects.filter(household_id=baba).exists()
    assert Read.objects.get(household_id=aoki).via == Via.PAPER  # the other row is untouched
    with pytest.raises(CircularError) as nothing:
        paper.undo(circular, baba, where=where)
    assert nothing.value.messages == ["この世帯には、取り消せる紙の記録がありません。"]


def test_undo_is_refused_outside_the_area_and_after_the_due_date(town, post_circular, account):
    due = timezone.localdate() + dt.timedelta(days=1)
    circular = post_circular(due=due)
    chiba = town.chiba.household_id
    _record(circular, account, town.kucho, paper.Entry(chiba, stamped=True))
    with pytest.raises(CircularError) as outside:
        paper.undo(circular, chiba, where=_where(account, town.kumicho))
    assert outside.value.messages == ["担当していない区・組の世帯です。"]
    with time_machine.travel(due + dt.timedelta(days=2)), pytest.raises(CircularError) as late:
        paper.undo(circular, chiba, where=_where(account, town.kucho))
    assert "期限" in late.value.messages[0]
    assert Read.objects.filter(household_id=chiba, via=Via.PAPER).exists()


def test_the_leader_confirms_before_a_row_is_taken_back(town, asking, resident_client):
    circular, _attendance, _comment = asking
    client = resident_client(town.kumicho)
    aoki = town.aoki.household_id
    sheet_url = reverse("circulars:lead_paper", args=[circular.pk])
    client.post(sheet_url, {f"read-{aoki}": "1"})
    undo_url = reverse("circulars:lead_paper_undo", args=[circular.pk, aoki])
    assert f'href="{undo_url}"' in client.get(sheet_url).content.decode()
    confirm = client.get(undo_url)
    assert confirm.status_code == 200 and "青木 太郎" in confirm.content.decode()
    assert Read.objects.filter(household_id=aoki).exists()  # asking changes nothing
    assert client.post(undo_url).status_code == 302
    assert not Read.objects.filter(household_id=aoki).exists()
    assert AuditRecord.objects.filter(subject_type="circular", action="delete").count() == 1
    again = client.post(undo_url, follow=True).content.decode()
    assert "取り消せる紙の記録がありません" in again
    outside = reverse("circulars:lead_paper_undo", args=[circular.pk, town.chiba.household_id])
    assert client.get(outside).status_code == 404

"""Posting, who sees what, reads per household, replies until the due date, tallies."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from musubi.community.circulars import leaders, oversight, services
from musubi.community.circulars.leaders import CITY_WIDE, Area
from musubi.community.circulars.models import Circular, QuestionKind
from musubi.community.circulars.services import QuestionDraft
from musubi.platform.notify.models import Message

ATTENDANCE = QuestionDraft(QuestionKind.ATTENDANCE)
SURVEY = QuestionDraft(
    QuestionKind.CHOICE,
    {"ja": "都合のよい時間", "en": "Best time"},
    [{"ja": "午前"}, {"ja": "午後"}],
)
COMMENT = QuestionDraft(QuestionKind.TEXT, {"ja": "ご意見"})


def test_a_district_circular_reaches_its_kumi_but_not_other_districts(town, post_circular):
    circular = post_circular()
    for resident in (town.aoki, town.aoki_child, town.baba, town.chiba):
        assert list(services.circulars_for(resident)) == [circular]
    assert not services.circulars_for(town.outsider).exists()
    assert set(services.households(circular, CITY_WIDE)) == {
        town.aoki.household,
        town.baba.household,
        town.chiba.household,
    }


def test_a_kumi_circular_reaches_only_that_kumi(town, post_circular):
    circular = post_circular(targets=[Area(town.district.pk, town.kumi2.pk)])
    assert list(services.circulars_for(town.chiba)) == [circular]
    assert not services.circulars_for(town.aoki).exists()


def test_posting_tells_the_target_through_the_hub(town, post_circular):
    circular = post_circular()
    message = Message.objects.get(source="circulars")
    assert message.audience == {"kind": "district", "district": "nakazawa", "district_name": "中沢"}
    assert "草刈りのお知らせ" in message.rendered["ja"]["subject"]
    assert f"/circulars/{circular.pk}/" in message.rendered["en"]["body"]
    assert message.publish_onsite is False


def test_a_kumicho_cannot_post_to_the_whole_district_and_nothing_is_written(town, post_circular):
    with pytest.raises(services.CircularError) as refused:
        post_circular(by=town.kumicho)
    assert "targets" in refused.value.message_dict
    assert not Circular.objects.exists()
    assert not Message.objects.exists()


def test_a_kumicho_posts_to_their_kumi_as_kumicho(town, post_circular):
    circular = post_circular(by=town.kumicho, targets=[Area(town.district.pk, town.kumi1.pk)])
    assert circular.posted_as.role == "kumicho"


def test_bad_drafts_name_each_field(town, account):
    user = account(town.kucho)
    draft = services.Draft(
        titles={"en": "English only"},
        bodies={"ja": " "},
        targets=[],
        due_date=timezone.localdate() - dt.timedelta(days=1),
        remind_days_before=99,
        questions=[QuestionDraft(QuestionKind.CHOICE, {"ja": "一つだけ"}, [{"ja": "はい"}])],
    )
    with pytest.raises(services.CircularError) as refused:
        services.post(draft, by=user, where=leaders.jurisdiction_of(user))
    assert set(refused.value.message_dict) == {
        "title_ja",
        "body_ja",
        "targets",
        "due_date",
        "remind_days_before",
        "questions",
    }


def test_any_member_reading_marks_the_household_and_records_who(town, post_circular, account):
    circular = post_circular()
    child = account(town.aoki_child)
    services.mark_read(circular, town.aoki_child, child)
    services.mark_read(circular, town.aoki_child, child)  # a second press changes nothing
    reads = services.household_reads(circular, town.aoki.household_id)
    assert [r.resident for r in reads] == [town.aoki_child]
    assert circular.pk in services.read_by_household(town.aoki.household_id)
    unread = oversight.unread_households(circular)
    assert set(unread) == {town.baba.household, town.chiba.household}


def test_one_reply_per_household_changeable_until_the_due_date(town, post_circular, account):
    due = timezone.localdate() + dt.timedelta(days=3)
    circular = post_circular(questions=[ATTENDANCE, SURVEY, COMMENT], due=due)
    ids = [str(q.pk) for q in circular.questions.all()]
    head, child = account(town.aoki), account(town.aoki_child)
    services.reply(circular, town.aoki, head, {ids[0]: "attend", ids[1]: "1"})
    services.reply(
        circular, town.aoki_child, child, {ids[0]: "absent", ids[1]: "2", ids[2]: "雨天延期を"}
    )
    assert circular.replies.count() == 1
    reply = circular.replies.get()
    assert reply.answers == {ids[0]: "absent", ids[1]: "2", ids[2]: "雨天延期を"}
    assert reply.answered_by == town.aoki_child
    assert circular.pk in services.read_by_household(town.aoki.household_id)
    with (
        time_machine.travel(
            dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9)), tick=False
        ),
        pytest.raises(services.CircularError) as late,
    ):
        services.reply(circular, town.aoki, head, {ids[0]: "attend", ids[1]: "1"})
    assert "期限" in late.value.messages[0]
    assert circular.replies.get().answers[ids[0]] == "absent"


def test_a_reply_missing_a_choice_is_refused_per_question(town, post_circular, account):
    circular = post_circular(questions=[ATTENDANCE, COMMENT])
    ids = [str(q.pk) for q in circular.questions.all()]
    with pytest.raises(services.CircularError) as refused:
        services.reply(
            circular, town.baba, account(town.baba), {ids[0]: "maybe", ids[1]: "x" * 201}
        )
    assert set(refused.value.message_dict) == set(ids)
    assert not circular.replies.exists()


def test_tallies_count_households_per_option(town, post_circular, account):
    circular = post_circular(questions=[QuestionDraft(QuestionKind.APPROVAL), COMMENT])
    approval, comment = [str(q.pk) for q in circular.questions.all()]
    services.reply(circular, town.aoki, account(town.aoki), {approval: "for", comment: "賛成です"})
    services.reply(circular, town.baba, account(town.baba), {approval: "for"})
    services.reply(circular, town.chiba, account(town.chiba), {approval: "against"})
    table = oversight.rows(circular, CITY_WIDE)
    counts, texts = oversight.tallies(circular, table)
    assert [(o.value, n, p) for o, n, p in counts.counts] == [
        ("for", 2, 0),
        ("against", 1, 0),
        ("abstain", 0, 0),
    ]
    assert texts.texts == [("賛成です", False)]
    assert oversight.summary(table).__dict__ == {
        "households": 3,
        "read": 3,
        "replied": 3,
        "read_on_paper": 0,
        "replied_on_paper": 0,
    }


def test_a_kumicho_oversees_only_their_kumi_of_a_district_circular(town, post_circular, account):
    circular = post_circular()
    where = leaders.jurisdiction_of(account(town.kumicho))
    assert {row.household for row in oversight.rows(circular, where)} == {
        town.aoki.household,
        town.baba.household,
    }


def test_csv_names_households_by_head_and_kumi(town, post_circular, account):
    circular = post_circular(questions=[ATTENDANCE])
    (question,) = [str(q.pk) for q in circular.questions.all()]
    services.reply(circular, town.baba, account(town.baba), {question: "attend"})
    lines = oversight.csv_table(circular, oversight.rows(circular, CITY_WIDE))
    assert lines[0][:3] == ["世帯主", "組", "既読"]
    baba = next(line for line in lines if line[0] == "馬場 太郎")
    assert baba[1] == "1組" and baba[2] == "既読" and baba[-1] == "出席"


def test_withdrawn_circulars_disappear_for_households(town, post_circular, account):
    circular = post_circular()
    other = account(town.aoki)
    assert not services.may_withdraw(circular, other, leaders.jurisdiction_of(other))
    poster = circular.posted_by
    services.withdraw(circular, by=poster, where=leaders.jurisdiction_of(poster))
    assert not services.circulars_for(town.aoki).exists()
    with pytest.raises(services.CircularError):
        services.mark_read(circular, town.aoki, other)


def test_households_without_a_verified_digital_contact_are_on_paper(town, post_circular):
    circular = post_circular()
    residents_contact = town.aoki_child
    from musubi.platform.residents import services as residents

    residents.confirm_contact(residents_contact.pk, "email", "hanako@example.jp")
    from musubi.community.circulars.notifications import paper_households

    paper = paper_households(services.households(circular, CITY_WIDE))
    assert set(paper) == {town.baba.household, town.chiba.household}

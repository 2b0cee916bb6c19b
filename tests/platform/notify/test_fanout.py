"""Audiences and fan-out: who gets what on which channel, and paper for the unreachable."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from musubi.platform.notify import audiences, fanout, outbox, services
from musubi.platform.notify.models import Delivery, Message, MessageState, NotifyPreference
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint, Resident


def _rows(message):
    return sorted(
        (d.channel, d.address, d.household_id)
        for d in Delivery.objects.filter(message=message).exclude(channel="onsite")
    )


def test_a_routine_notice_to_all_households(town, compose):
    message = compose()
    assert services.fan_out(message) == 6  # 3 email, 2 paper, 1 onsite
    h = town.households
    assert _rows(message) == sorted([
        ("email", "ichiro@example.jp", h["nakazawa"].pk),
        ("email", "hana@example.jp", h["nakazawa"].pk),
        ("email", "jiro@example.jp", h["higashi"].pk),
        ("paper", f"household:{h['paper'].pk}", h["paper"].pk),
        ("paper", f"household:{h['unverified'].pk}", h["unverified"].pk),  # not verified
    ])  # fmt: skip
    message.refresh_from_db()
    assert message.state == MessageState.SENDING
    assert Delivery.objects.filter(message=message, channel="onsite").count() == 1


def test_every_row_is_written_whole_with_its_own_key(town, compose):
    """The fan-out writes column by column: each row still gets its own idempotency key, the
    message's lane, its resident's language and the defaults of a fresh delivery."""
    Resident.objects.filter(given_name="次郎").update(preferred_language="en")
    message = compose()
    services.fan_out(message)
    rows = list(Delivery.objects.filter(message=message))
    assert len({row.key for row in rows}) == len(rows) == 6
    assert {(row.emergency, row.state, row.attempts, row.claimed_by) for row in rows} == {
        (False, "queued", 0, "")
    }
    due_now = dt.timedelta(seconds=5)
    assert all(abs(r.next_attempt_at - r.created_at) < due_now and not r.sent_at for r in rows)
    languages = {r.address: (r.resident.given_name, r.language) for r in rows if r.resident}
    assert languages["jiro@example.jp"] == ("次郎", "en")
    assert languages["hana@example.jp"] == ("花", "ja")
    assert next(row for row in rows if row.channel == "onsite").household_id is None


def test_fanning_out_twice_adds_nothing(town, compose):
    message = compose()
    services.fan_out(message)
    count = Delivery.objects.count()
    Delivery.objects.filter(message=message, channel="email").first().delete()
    message.state = MessageState.SCHEDULED
    message.save()
    services.fan_out(message)  # a retried fan-out restores the missing row only
    assert Delivery.objects.count() == count


def test_a_fan_out_cut_short_is_sent_from_and_taken_up_once_its_hold_lapses(
    town, compose, monkeypatch
):
    """The rows commit in chunks. A fan-out that dies after its first chunk leaves the message
    FANNING_OUT: workers send what was written, ``finish_sent`` keeps the message open, nobody
    takes it up while it is held, and once the hold lapses the next dispatch writes the rest."""
    message = compose()
    monkeypatch.setattr(fanout, "CHUNK", 2)
    save = fanout.save

    def killed_after_the_first_chunk(message, planned):
        if Delivery.objects.filter(message=message).exists():
            raise RuntimeError("worker killed")
        return save(message, planned)

    monkeypatch.setattr(fanout, "save", killed_after_the_first_chunk)
    with pytest.raises(RuntimeError):
        services.fan_out(message)
    monkeypatch.setattr(fanout, "save", save)
    first = set(Delivery.objects.filter(message=message).values_list("id", flat=True))
    assert len(first) == 2
    assert outbox.Worker(emergency=False).drain() == 2
    services.finish_sent()
    message.refresh_from_db()
    assert message.state == MessageState.FANNING_OUT
    assert services.dispatch_due() == 0  # still held by the fan-out that died

    Message.objects.filter(pk=message.pk).update(fanning_out_until=timezone.now())
    assert services.dispatch_due() == 6
    message.refresh_from_db()
    assert (message.state, message.fanning_out_until) == (MessageState.SENDING, None)
    rows = Delivery.objects.filter(message=message)
    assert rows.count() == 6  # 3 email, 2 paper, 1 onsite: nothing twice
    assert set(rows.filter(state="sent").values_list("id", flat=True)) == first


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ({"kind": "district", "district": "nakazawa"}, {"一郎", "花", "四郎"}),
        ({"kind": "kumi", "district": "nakazawa", "kumi": 1}, {"一郎", "花"}),
        ({"kind": "segment", "segment": "child_under_3"}, {"一郎", "花"}),
        ({"kind": "segment", "segment": "aged_65_plus"}, {"一郎", "三郎"}),
    ],
)
def test_audiences(town, audience, expected):
    assert {r.given_name for r in audiences.recipients(audience)} == expected


def test_an_explicit_list_names_unknown_numbers(town):
    jiro = town.members("higashi")[0]
    assert list(audiences.recipients({"kind": "residents", "residents": [jiro.number]})) == [jiro]
    with pytest.raises(ValidationError) as caught:
        audiences.recipients({"kind": "residents", "residents": [jiro.number, "999"]})
    assert "999" in caught.value.messages[0]


def test_an_app_supplied_query(town):
    @audiences.register_query("test-seniors-in-higashi", "東伊那の高齢者", "Seniors in Higashiina")
    def seniors():
        return residents.living_residents().filter(household__district__code="higashiina",
                                                   birthdate__lt=dt.date(1950, 1, 1))  # fmt: skip

    found = audiences.recipients({"kind": "query", "name": "test-seniors-in-higashi"})
    assert [r.given_name for r in found] == ["三郎"]


@pytest.mark.parametrize("audience", [{}, {"kind": "district"}, {"kind": "query", "name": "?"}])
def test_a_bad_audience_is_refused_before_anything_is_written(town, compose, audience):
    with pytest.raises(ValidationError):
        compose(audience=audience)
    assert not Delivery.objects.exists()


def test_emergencies_use_every_channel_routine_only_the_first(town, compose):
    jiro = town.members("higashi")[0]
    ContactPoint.objects.create(resident=jiro, kind="email", value="jiro@work.example.jp",
                                verified=True)  # fmt: skip
    routine = compose(audience={"kind": "residents", "residents": [jiro.number]})
    emergency = compose(audience={"kind": "residents", "residents": [jiro.number]}, emergency=True)
    services.fan_out(routine)
    services.fan_out(emergency)
    # both addresses are on the first channel (email), so both get the routine notice too
    assert len(_rows(routine)) == 2
    assert len(_rows(emergency)) == 2
    assert set(Delivery.objects.filter(message=emergency).values_list("emergency", flat=True)) == {
        True
    }


def test_an_opted_out_channel_is_not_used_and_the_household_falls_back_to_paper(town, compose):
    jiro = town.members("higashi")[0]
    NotifyPreference.objects.create(resident=jiro, opted_out=["email"])
    message = compose(audience={"kind": "residents", "residents": [jiro.number]})
    services.fan_out(message)
    assert [row[0] for row in _rows(message)] == ["paper"]


def test_the_resident_language_is_used_when_the_template_has_it(town, compose):
    jiro = town.members("higashi")[0]
    jiro.preferred_language = "en"
    jiro.save()
    message = compose(audience={"kind": "residents", "residents": [jiro.number]})
    services.fan_out(message)
    delivery = Delivery.objects.get(message=message, channel="email")
    assert delivery.language == "en"
    assert message.text("en")["subject"] == "Water outage (6月1日)"

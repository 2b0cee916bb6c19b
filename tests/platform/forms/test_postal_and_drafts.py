"""The postal-code endpoint and its pluggable dataset; drafts listed, expired and purged."""

from __future__ import annotations

import datetime as dt

import time_machine

from musubi.platform.forms import postal
from musubi.platform.forms.models import FormDraft
from musubi.platform.forms.services import (
    PostalAddress,
    drafts_for,
    open_draft,
    purge_expired_drafts,
    use_postal_provider,
)


def test_postal_code_lookup_json(client, db):
    response = client.get("/forms/postal-code/3994231/")
    assert response.json() == {
        "postal_code": "399-4231",
        "addresses": [
            {
                "prefecture": "長野県",
                "city": "駒ヶ根市",
                "town": "中沢",
                "text": "長野県駒ヶ根市中沢",
            }
        ],
    }
    assert len(client.get("/forms/postal-code/399-4117/").json()["addresses"]) == 5
    bad = client.get("/forms/postal-code/39942/")
    assert bad.status_code == 400
    assert bad.json() == {"error": "郵便番号は 399-4231 のように7桁の数字で入力してください。"}
    missing = client.get("/forms/postal-code/100-0001/")
    assert missing.status_code == 404
    assert missing.json() == {"error": "郵便番号 100-0001 の住所が見つかりません。"}


def test_the_shipped_dataset_is_marked_synthetic():
    table = postal.JsonFileProvider()._table()
    assert table["synthetic"] is True and "SYNTHETIC" in table["_note"]


def test_a_full_dataset_can_be_plugged_in(client, db):
    class Tokyo:
        def lookup(self, code):
            return (
                [PostalAddress(code, "東京都", "千代田区", "千代田")] if code == "100-0001" else []
            )

    original = postal._provider[0]
    use_postal_provider(Tokyo())
    try:
        assert client.get("/forms/postal-code/1000001/").json()["addresses"][0]["town"] == "千代田"
    finally:
        use_postal_provider(original)


def test_drafts_listed_until_they_expire(resident_user):
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        draft = open_draft(resident_user, "procedure:x:v1", title={"ja": "申請X"}, keep_days=10)
        assert list(drafts_for(resident_user)) == [draft]
        assert open_draft(resident_user, "procedure:x:v1", keep_days=10).pk == draft.pk
    with time_machine.travel(dt.datetime(2026, 1, 12, tzinfo=dt.UTC)):
        assert list(drafts_for(resident_user)) == []
        assert purge_expired_drafts() == 1
        assert not FormDraft.objects.exists()

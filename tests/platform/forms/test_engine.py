"""The engine on a small definition: plain widgets, files, conditions, `previous` prefill."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from musubi.platform.forms import fieldtypes, prefill
from musubi.platform.forms.services import (
    FormIncomplete,
    FormSession,
    PrefillProvider,
    Urls,
    open_draft,
    prefill_provider,
)


def t(ja: str) -> dict:
    return {"ja": ja, "en": ja}


DEFINITION = {
    "id": "small",
    "title": t("小さなフォーム"),
    "schema": {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 5},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "days": {"type": "array", "items": {"type": "string", "enum": ["mon", "tue"]}},
            "agree": {"type": "boolean", "const": True},
            "memo": {"type": "string", "maxLength": 5},
            "attachment": {"type": "string"},
            "why": {"type": "string"},
            "email_note": {"type": "string"},
        },
        "required": ["count", "colour", "agree", "why"],
    },
    "ui": {
        "steps": [
            {
                "id": "one",
                "title": t("一"),
                "sections": [
                    {
                        "id": "s",
                        "title": t("項目"),
                        "fields": [
                            {"id": "count", "widget": "number", "label": t("人数")},
                            {"id": "colour", "widget": "select", "label": t("色")},
                            {"id": "days", "widget": "multichoice", "label": t("曜日")},
                            {"id": "agree", "widget": "checkbox", "label": t("同意")},
                            {
                                "id": "memo",
                                "widget": "text",
                                "label": t("メモ"),
                                "prefill": "previous.memo",
                            },
                            {"id": "attachment", "widget": "file", "label": t("添付")},
                            {
                                "id": "why",
                                "widget": "textarea",
                                "label": t("理由"),
                                "visible_if": {"field": "colour", "in": ["red"]},
                            },
                            {
                                "id": "email_note",
                                "widget": "text",
                                "label": t("備考"),
                                "visible_if": {"field": "colour", "not_equals": "red"},
                            },
                        ],
                    }
                ],
            }
        ]
    },
}


@pytest.fixture
def previous_provider():
    @prefill_provider("previous")
    class Previous(PrefillProvider):
        label = "前回の申請より"
        read_only = False
        asked: list = []

        def values(self, context, attributes):
            Previous.asked.append((context.form_key, sorted(attributes)))
            return {"memo": "前回"}

    yield Previous
    prefill.unregister("previous")


@pytest.fixture
def make_session(resident_user, previous_provider):
    def make():
        draft = open_draft(resident_user, "test:small:v1")
        urls = Urls(step=lambda s: f"/s/{s}/", review="/review/", submit="/submit/")
        return FormSession(DEFINITION, resident_user, draft, urls=urls)

    return make


def post(data: dict):
    request = RequestFactory().post("/s/one/", data)
    return request


def test_plain_widgets_validate_with_exact_messages(make_session):
    outcome = make_session().submit_step(
        post(
            {"f-count": "9", "f-days": ["mon", "sun"], "f-memo": "abcdefg", "f-attachment": "../x"}
        ),
        "one",
    )
    assert outcome.errors == {
        "f-count": "5以下の数を入力してください。",
        "f-colour": "色を選択してください。",
        "f-days": "選択肢から選んでください。",
        "f-agree": "同意にチェックを入れてください。",
        "f-memo": "5文字以内で入力してください。",
        "f-attachment": "ファイルが見つかりません。もう一度アップロードしてください。",
    }
    outcome = make_session().submit_step(post({"f-count": "一", "f-colour": "green"}), "one")
    assert outcome.errors["f-count"] == "数字で入力してください。"
    assert outcome.errors["f-colour"] == "選択肢から選んでください。"
    assert make_session().submit_step(post({"f-count": "1.5"}), "one").errors["f-count"] == (
        "整数で入力してください。"
    )


def test_conditions_equals_in_and_not_equals(make_session):
    base = {"f-count": "２", "f-colour": "red", "f-agree": "on"}
    outcome = make_session().submit_step(post(base), "one")
    assert outcome.errors == {"f-why": "理由を入力してください。"}
    typed = {**base, "f-why": "赤が好き", "f-email_note": "x", "f-memo": "前回"}
    assert make_session().submit_step(post(typed), "one").done
    data = make_session().final_data()
    assert data == {"count": 2, "colour": "red", "agree": True, "memo": "前回", "why": "赤が好き"}
    outcome = make_session().submit_step(
        post({**base, "f-colour": "blue", "f-why": "x", "f-email_note": "ok"}), "one"
    )
    assert make_session().final_data()["email_note"] == "ok"
    assert "why" not in make_session().final_data()


def test_file_reference_check_is_pluggable(make_session, resident_user):
    seen = []
    original = fieldtypes._file_check[0]
    fieldtypes.set_file_check(lambda user, file_id: seen.append((user, file_id)) or file_id == "f1")
    try:
        base = {"f-count": "1", "f-colour": "blue", "f-agree": "on"}
        bad = make_session().submit_step(post({**base, "f-attachment": "f2"}), "one")
        assert bad.errors == {
            "f-attachment": "ファイルが見つかりません。もう一度アップロードしてください。"
        }
        assert make_session().submit_step(post({**base, "f-attachment": "f1"}), "one").done
        assert seen == [(resident_user, "f2"), (resident_user, "f1")]
    finally:
        fieldtypes.set_file_check(original)


def test_previous_provider_prefills_once_and_stays_editable(make_session, previous_provider):
    session = make_session()
    assert session.draft.data["memo"] == "前回"
    assert session.source_of(session.definition.field("memo")).label == "前回の申請より"
    assert not session.read_only(session.definition.field("memo"))
    assert previous_provider.asked == [("test:small:v1", ["memo"])]
    base = {"f-count": "1", "f-colour": "blue", "f-agree": "on", "f-memo": "今回"}
    assert make_session().submit_step(post(base), "one").done
    session = make_session()
    assert session.draft.data["memo"] == "今回"
    assert session.source_of(session.definition.field("memo")) is None


def test_final_data_refuses_an_incomplete_form(make_session):
    with pytest.raises(FormIncomplete) as caught:
        make_session().final_data()
    assert caught.value.first_step == "one"
    assert caught.value.problems["one"]["f-count"] == "人数を入力してください。"

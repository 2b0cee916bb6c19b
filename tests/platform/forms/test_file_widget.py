"""The ``file`` widget: a real upload control, earlier files to choose from, the kept value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from musubi.platform.forms import fieldtypes
from musubi.platform.forms.engine import FormSession, Urls
from musubi.platform.forms.services import open_draft


def t(ja: str) -> dict:
    return {"ja": ja, "en": ja}


DEFINITION = {
    "id": "docs",
    "title": t("書類のフォーム"),
    "schema": {
        "type": "object",
        "properties": {"phone": {"type": "string"}, "scan": {"type": "string"}},
        "required": ["phone", "scan"],
    },
    "ui": {
        "steps": [
            {
                "id": "docs",
                "title": t("書類"),
                "sections": [
                    {
                        "id": "s",
                        "title": t("書類"),
                        "fields": [
                            {"id": "phone", "widget": "phone", "label": t("電話番号")},
                            {
                                "id": "scan",
                                "widget": "file",
                                "label": t("本人確認書類"),
                                "help": t("運転免許証などの写し"),
                            },
                        ],
                    }
                ],
            }
        ]
    },
}
EARLIER = [("old-1", "保険証.png（2026-11-01）"), ("old-2", "通帳.png（2026-11-02）")]


@pytest.fixture
def store():
    """A test store: keeps names, refuses files called ``bad.exe`` with the files app's shape."""
    kept: dict[str, str] = {}

    class Refused(ValueError):
        message = "「bad.exe」は PDF・JPEG・PNG ではありません。"

    def keep(user, uploaded):
        if uploaded.name == "bad.exe":
            raise Refused(uploaded.name)
        file_id = f"new-{len(kept) + 1}"
        kept[file_id] = uploaded.name
        return file_id

    originals = (fieldtypes._file_store[0], fieldtypes._file_choices[0], fieldtypes._file_check[0])
    fieldtypes.set_file_store(keep)
    fieldtypes.set_file_choices(lambda user: EARLIER + [(k, v) for k, v in kept.items()])
    fieldtypes.set_file_check(lambda user, file_id: file_id in kept or file_id.startswith("old-"))
    yield kept
    fieldtypes.set_file_store(originals[0])
    fieldtypes.set_file_choices(originals[1])
    fieldtypes.set_file_check(originals[2])


@pytest.fixture
def session(resident_user, store):
    def make():
        draft = open_draft(resident_user, "test:docs:v1")
        urls = Urls(step=lambda s: f"/s/{s}/", review="/review/", submit="/submit/")
        return FormSession(DEFINITION, resident_user, draft, urls=urls)

    return make


def _post(data: dict, resident_user):
    request = RequestFactory().post("/s/docs/", data)
    request.user = resident_user
    return request


def _page(make, resident_user, outcome=None) -> str:
    request = RequestFactory().get("/s/docs/")
    request.user = resident_user
    return make().render_step(request, "docs", outcome).content.decode()


def test_widget_is_a_file_input_with_earlier_files(session, resident_user):
    html = _page(session, resident_user)
    assert 'enctype="multipart/form-data"' in html
    assert '<input type="file" id="f-scan-upload" name="f-scan-upload" accept=".pdf,' in html
    assert '<label for="f-scan-upload">ファイルを選ぶ</label>' in html
    assert "運転免許証などの写し" in html and "本人確認書類" in html
    assert '<label for="f-scan-earlier">以前に登録したファイルから選ぶ</label>' in html
    assert '<option value="old-2">通帳.png（2026-11-02）</option>' in html
    assert 'type="text" id="f-scan"' not in html
    assert "添付済み" not in html


def test_no_earlier_files_no_list(session, resident_user, store):
    fieldtypes.set_file_choices(lambda user: [])
    assert "f-scan-earlier" not in _page(session, resident_user)


def test_upload_is_stored_and_its_id_is_the_value(session, resident_user, store):
    upload = SimpleUploadedFile("免許証.png", b"png", content_type="image/png")
    outcome = session().submit_step(
        _post({"f-phone": "0265-83-2111", "f-scan-upload": upload}, resident_user), "docs"
    )
    assert outcome.done
    assert store == {"new-1": "免許証.png"}
    assert session().draft.data["scan"] == "new-1"
    assert "添付済み：免許証.png" in _page(session, resident_user)


def test_refused_upload_shows_why_and_keeps_what_was_typed(session, resident_user, store):
    upload = SimpleUploadedFile("bad.exe", b"MZ", content_type="application/octet-stream")
    outcome = session().submit_step(
        _post({"f-phone": "0265-83-2111", "f-scan-upload": upload}, resident_user), "docs"
    )
    assert not outcome.done
    assert outcome.errors == {"f-scan": "「bad.exe」は PDF・JPEG・PNG ではありません。"}
    assert store == {}
    html = _page(session, resident_user, outcome)
    assert 'value="0265-83-2111"' in html
    assert '<a href="#f-scan-upload">「bad.exe」は PDF・JPEG・PNG ではありません。</a>' in html


def test_refusal_of_a_validation_error_store(session, resident_user, store):
    def refuse(user, uploaded):
        raise ValidationError("容量が大きすぎます。")

    fieldtypes.set_file_store(refuse)
    upload = SimpleUploadedFile("big.pdf", b"%PDF", content_type="application/pdf")
    outcome = session().submit_step(_post({"f-scan-upload": upload}, resident_user), "docs")
    assert outcome.errors["f-scan"] == "容量が大きすぎます。"


def test_choosing_an_earlier_file(session, resident_user):
    outcome = session().submit_step(
        _post({"f-phone": "0265-83-2111", "f-scan-earlier": "old-2"}, resident_user), "docs"
    )
    assert outcome.done
    assert session().draft.data["scan"] == "old-2"
    assert session().review(_post({}, resident_user)).content.decode().count("通帳.png") == 1


def test_existing_value_is_kept_unless_replaced(session, resident_user, store):
    assert (
        session()
        .submit_step(
            _post({"f-phone": "0265-83-2111", "f-scan-earlier": "old-1"}, resident_user), "docs"
        )
        .done
    )
    html = _page(session, resident_user)
    assert "添付済み：保険証.png（2026-11-01）" in html
    assert '<input type="hidden" name="f-scan" value="old-1">' in html
    kept = session().submit_step(
        _post({"f-phone": "0265-83-2111", "f-scan": "old-1"}, resident_user), "docs"
    )
    assert kept.done and session().draft.data["scan"] == "old-1"
    upload = SimpleUploadedFile("新しい.pdf", b"%PDF", content_type="application/pdf")
    replaced = session().submit_step(
        _post(
            {"f-phone": "0265-83-2111", "f-scan": "old-1", "f-scan-upload": upload}, resident_user
        ),
        "docs",
    )
    assert replaced.done and session().draft.data["scan"] == "new-1"


def test_required_file_missing_is_asked_for(session, resident_user):
    outcome = session().submit_step(_post({"f-phone": "0265-83-2111"}, resident_user), "docs")
    assert outcome.errors == {"f-scan": "本人確認書類を添付してください。"}

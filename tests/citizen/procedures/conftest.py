"""Fixtures for procedures: a small published procedure, a resident and staff of its department."""

from __future__ import annotations

import pytest

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Channel, Procedure
from musubi.platform.accounts.models import Department, Role, User
from musubi.platform.files import services as files

NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string", "minLength": 1, "maxLength": 60},
        "given": {"type": "string", "minLength": 1, "maxLength": 60},
    },
    "required": ["family", "given"],
}

SMALL_FORM = {
    "id": "test-form",
    "title": {"ja": "テスト申請", "en": "Test application"},
    "schema": {
        "type": "object",
        "properties": {
            "applicant_name": NAME,
            "applicant_kana": NAME,
            "birthdate": {"type": "string", "format": "date"},
            "copies": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["applicant_name", "applicant_kana", "birthdate", "copies"],
    },
    "ui": {
        "steps": [
            {
                "id": "main",
                "title": {"ja": "申請者", "en": "Applicant"},
                "sections": [
                    {
                        "id": "person",
                        "title": {"ja": "申請者", "en": "Applicant"},
                        "fields": [
                            {"id": "applicant_name", "widget": "name",
                             "label": {"ja": "氏名", "en": "Name"}},
                            {"id": "applicant_kana", "widget": "kana_name",
                             "label": {"ja": "フリガナ", "en": "Name in kana"}},
                            {"id": "birthdate", "widget": "date",
                             "label": {"ja": "生年月日", "en": "Date of birth"},
                             "options": {"past_only": True}},
                            {"id": "copies", "widget": "number",
                             "label": {"ja": "通数", "en": "Copies"}},
                        ],
                    }
                ],
            }
        ]
    },
}  # fmt: skip

GOOD_DATA = {
    "applicant_name": {"family": "駒ヶ根", "given": "花子"},
    "applicant_kana": {"family": "コマガネ", "given": "ハナコ"},
    "birthdate": "1989-01-07",
    "copies": 2,
}

PASSWORD = "long-enough-pass-1"


@pytest.fixture
def good() -> dict:
    """Answers to SMALL_FORM that pass (a fresh copy)."""
    return dict(GOOD_DATA)


@pytest.fixture
def kodomo(db) -> Department:
    return Department.objects.get_or_create(
        code="kodomo", defaults={"name": "子ども課", "name_en": "Children's Division"}
    )[0]


@pytest.fixture
def procedure(kodomo) -> Procedure:
    proc = Procedure.objects.create(
        code="test-procedure",
        name_ja="テスト手続",
        name_en="Test procedure",
        category="kosodate",
        department=kodomo,
        attachments=[
            {"code": "id_doc", "label": {"ja": "本人確認書類", "en": "Proof of identity"},
             "required": True},
        ],
        processing_days=14,
        channels=[Channel.ONLINE, Channel.COUNTER],
    )  # fmt: skip
    services.publish_version(services.create_version(proc, SMALL_FORM))
    return proc


@pytest.fixture
def resident(db) -> User:
    return User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password=PASSWORD
    )


@pytest.fixture
def staff(make_staff):
    """``staff(role)``: a kodomo staff member granted what grants.json gives that role."""
    codes = {
        Role.CLERK: ("procedures.view", "procedures.process", "procedures.counter"),
        Role.SUPERVISOR: (
            "procedures.view", "procedures.process", "procedures.counter",
            "procedures.decide", "procedures.export",
        ),
    }  # fmt: skip
    return lambda role=Role.CLERK: make_staff("kodomo", *codes[role], role=role)


@pytest.fixture
def id_photo(resident):
    """A PNG the resident uploaded (proof of identity)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return files.store_bytes(resident, "id.png", buffer.getvalue(), purpose="test")


@pytest.fixture
def submitted(procedure, resident, id_photo):
    application = services.start_application(procedure, applicant=resident, channel="online")
    return services.submit(
        application, dict(GOOD_DATA), actor=resident, attachments=[("id_doc", id_photo)]
    )

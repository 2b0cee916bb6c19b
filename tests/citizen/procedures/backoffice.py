"""Test support for the back office and counter pages: a 児童手当-like procedure with a
repeating group of children and registry prefill, staff of two departments, a registered
family. Plain functions (not fixtures), imported by the test_staff/counter/export/kpi files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Channel, Procedure
from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Relationship, Resident

PASSWORD = "long-enough-pass-1"
NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string", "minLength": 1, "maxLength": 60},
        "given": {"type": "string", "minLength": 1, "maxLength": 60},
    },
    "required": ["family", "given"],
}


def _field(field_id: str, widget: str, ja: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"id": field_id, "widget": widget, "label": {"ja": ja, "en": en}, **extra}


CHILD_FORM = {
    "id": "jidou-teate-test",
    "title": {"ja": "児童手当 認定請求", "en": "Child allowance claim"},
    "schema": {
        "type": "object",
        "properties": {
            "name": NAME,
            "name_kana": NAME,
            "birthdate": {"type": "string", "format": "date"},
            "address": {"type": "string", "maxLength": 200},
            "phone": {"type": "string", "maxLength": 20},
            "children": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": NAME,
                        "name_kana": NAME,
                        "birthdate": {"type": "string", "format": "date"},
                        "living_together": {"type": "string", "enum": ["yes", "no"]},
                    },
                    "required": ["name", "name_kana", "birthdate", "living_together"],
                },
            },
            "notes": {"type": "string", "maxLength": 500},
        },
        "required": ["name", "name_kana", "birthdate", "address", "phone", "children"],
    },
    "ui": {
        "steps": [
            {
                "id": "applicant",
                "title": {"ja": "請求者", "en": "Claimant"},
                "sections": [
                    {
                        "id": "person",
                        "title": {"ja": "請求者について", "en": "About the claimant"},
                        "fields": [
                            _field("name", "name", "氏名", "Name", prefill="registry.name"),
                            _field(
                                "name_kana", "kana_name", "フリガナ", "Kana",
                                prefill="registry.name_kana",
                            ),
                            _field(
                                "birthdate", "date", "生年月日", "Date of birth",
                                prefill="registry.birthdate", options={"past_only": True},
                            ),
                            _field(
                                "address", "text", "住所", "Address", prefill="registry.address"
                            ),
                            _field("phone", "phone", "電話番号", "Phone number"),
                        ],
                    }
                ],
            },
            {
                "id": "children",
                "title": {"ja": "対象となる子ども", "en": "Children"},
                "sections": [
                    {
                        "id": "children",
                        "title": {"ja": "対象となる子ども", "en": "Children"},
                        "fields": [
                            _field(
                                "children", "group", "子ども", "Child",
                                prefill="registry.children",
                                fields=[
                                    _field("name", "name", "氏名", "Name"),
                                    _field("name_kana", "kana_name", "フリガナ", "Kana"),
                                    _field("birthdate", "date", "生年月日", "Date of birth"),
                                    _field(
                                        "living_together", "choice", "同居", "Living together",
                                        options={"choices": [
                                            {"value": "yes", "label": {"ja": "同居", "en": "Yes"}},
                                            {"value": "no", "label": {"ja": "別居", "en": "No"}},
                                        ]},
                                    ),
                                ],
                            ),
                            _field("notes", "textarea", "備考", "Notes"),
                        ],
                    }
                ],
            },
        ]
    },
}  # fmt: skip


def child(given: str, kana: str, born: str) -> dict[str, Any]:
    return {
        "name": {"family": "駒ヶ根", "given": given},
        "name_kana": {"family": "コマガネ", "given": kana},
        "birthdate": born,
        "living_together": "yes",
    }


def claim(given: str = "花子", kana: str = "ハナコ", children: int = 2) -> dict[str, Any]:
    """Valid answers for an applicant whose account is not linked to the registry."""
    kids = [child("一郎", "イチロウ", "2018-05-01"), child("二郎", "ジロウ", "2020-06-02")]
    kids.append(child("三郎", "サブロウ", "2021-01-01"))
    return {
        "name": {"family": "駒ヶ根", "given": given},
        "name_kana": {"family": "コマガネ", "given": kana},
        "birthdate": "1989-01-07",
        "address": "長野県駒ヶ根市中沢1234-5",
        "phone": "0265-83-2111",
        "children": kids[:children],
    }


def department(code: str, name: str) -> Department:
    return Department.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": f"{code} division"}
    )[0]


def staff_member(dept: Department, email: str, *codes: str, role: str = Role.CLERK) -> User:
    user = User.objects.create_user(username=email, email=email, password=PASSWORD)
    StaffMembership.objects.create(user=user, department=dept, role=role)
    for code in ("staff.dashboard", *codes):
        PermissionGrant.objects.get_or_create(department=dept, role=role, permission=code)
    return user


CLERK_CODES = ("procedures.view", "procedures.process", "procedures.counter")
SUPERVISOR_CODES = (*CLERK_CODES, "procedures.decide", "procedures.export")


@dataclass
class World:
    kodomo: Department
    procedure: Procedure
    clerk: User
    clerk2: User
    supervisor: User
    outsider: User  # procedures.view in another department
    applicant: User

    def submit(self, data: dict[str, Any] | None = None, user: User | None = None) -> Application:
        """A submitted online application (receipt number, due date, transition)."""
        user = user or self.applicant
        app = services.start_application(self.procedure, applicant=user, channel=Channel.ONLINE)
        return services.submit(app, data or claim(), actor=user)

    def move(self, app: Application, *statuses: str, message: str = "理由") -> Application:
        for status in statuses:
            actor = self.supervisor
            app = services.transition(
                app, status, actor=actor, message=message, expected_version=app.version
            )
        return app


def build_world() -> World:
    kodomo = department("kodomo", "子ども課")
    fukushi = department("fukushi", "福祉課")
    procedure = Procedure.objects.create(
        code="jidou-teate-test",
        name_ja="児童手当 認定請求",
        name_en="Child allowance claim",
        category="kosodate",
        department=kodomo,
        processing_days=14,
        channels=[Channel.ONLINE, Channel.COUNTER],
    )
    services.publish_version(
        services.create_version(procedure, CHILD_FORM),
        valid_from=dt.datetime(2025, 4, 1, tzinfo=dt.UTC),
    )
    return World(
        kodomo=kodomo,
        procedure=procedure,
        clerk=staff_member(kodomo, "clerk@city.example.jp", *CLERK_CODES),
        clerk2=staff_member(kodomo, "clerk2@city.example.jp", *CLERK_CODES),
        supervisor=staff_member(
            kodomo, "boss@city.example.jp", *SUPERVISOR_CODES, role=Role.SUPERVISOR
        ),
        outsider=staff_member(fukushi, "fukushi@city.example.jp", *SUPERVISOR_CODES),
        applicant=User.objects.create_user(
            username="hanako@example.jp", email="hanako@example.jp", password=PASSWORD
        ),
    )


def register_family() -> Resident:
    """駒ヶ根 花子 (世帯主, 中沢) with two children under 18 in her household."""
    residents.ensure_districts()
    address = residents.create_address(
        district=District.objects.get(name="中沢"), postal_code="399-4231", town="中沢",
        banchi="1234-5",
    )  # fmt: skip
    mother = residents.move_in(
        residents.PersonDetails(
            family_name="駒ヶ根", given_name="花子", family_name_kana="コマガネ",
            given_name_kana="ハナコ", birthdate=dt.date(1989, 1, 7), sex="2",
        ),
        household=residents.new_household(address), relationship=Relationship.HEAD,
        on=dt.date(2015, 4, 1),
    )  # fmt: skip
    for given, kana, born in (("一郎", "イチロウ", dt.date(2018, 5, 1)),
                              ("さくら", "サクラ", dt.date(2021, 3, 3))):  # fmt: skip
        residents.register_birth(
            residents.PersonDetails(
                family_name="駒ヶ根", given_name=given, family_name_kana="コマガネ",
                given_name_kana=kana, birthdate=born, sex="1",
            ),
            household=mother.household,
        )  # fmt: skip
    return mother


def sign_in(client: Any, user: User) -> Any:
    """The Django test client logged in as ``user`` with the staff second factor passed."""
    client.force_login(user)
    session = client.session
    session["staff_mfa_passed"] = True
    session.save()
    return client

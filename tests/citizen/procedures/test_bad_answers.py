"""The issue's list of bad answers, typed into a resident's form page one at a time: each is
refused with a message naming the problem, in Japanese and English, and nothing typed is lost."""

from __future__ import annotations

import html
import re

import pytest

from musubi.citizen.procedures.models import Application
from tests.citizen.procedures.test_resident_flow import ANSWERS

BAD_ANSWERS = [
    # (field, typed, words of the Japanese message, words of the English message)
    ("f-applicant_kana-family", "Komagane", "カタカナ", "katakana"),
    ("f-birthdate", "2099-01-01", "未来", "future"),
    ("f-birthdate", "平成32年1月1日", "期間外", "outside"),
    ("f-birthdate", "令和0年5月1日", "元年", "元年"),
    ("f-birthdate", "2月30日", "日付", "date"),
    ("f-copies", "0", "1", "1"),
    ("f-applicant_name-family", "", "入力", "Enter"),
]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(("field", "typed", "words_ja", "words_en"), BAD_ANSWERS)
def test_a_bad_answer_is_named_and_everything_typed_is_kept(
    client, resident, procedure, language, field, typed, words_ja, words_en
):
    client.force_login(resident)
    client.cookies["django_language"] = language
    client.post(f"/procedures/{procedure.code}/apply/")
    application = Application.objects.get(procedure=procedure)
    answers = {**ANSWERS, field: typed}
    page = client.post(f"/procedures/applications/{application.pk}/form/main/", answers)
    assert page.status_code == 200  # the step again, not a redirect onward
    text = html.unescape(page.content.decode())
    errors = " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</', text, re.S))
    assert (words_ja if language == "ja" else words_en) in errors, errors
    for name, value in answers.items():  # the other answers, and the bad one, are still there
        if value:
            assert f'value="{value}"' in text, (name, value)
    application.refresh_from_db()
    assert application.status == "draft" and application.data == {}

"""Every Japanese field type: what it accepts, how it normalises, and the exact refusal."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.platform.forms.bank import clean_account, to_zengin_kana
from musubi.platform.forms.japanese import (
    FieldError,
    clean_date,
    clean_kana,
    clean_name_part,
    clean_phone,
    clean_postal_code,
)

DATE_FORMAT = (
    "日付は 2026-11-27、2026/11/27、令和8年11月27日 または R8.11.27 の形で入力してください。"
)


def refused(func, *args, **kwargs) -> str:
    with pytest.raises(FieldError) as caught:
        func(*args, **kwargs)
    return caught.value.messages[0]


@pytest.mark.parametrize(
    ("typed", "kana"),
    [
        ("ヤマダ", "ヤマダ"),
        ("やまだ", "ヤマダ"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("ヴァイオレット・エヴァ", "ヴァイオレット・エヴァ"),
        ("コマガネ　ハナコ", "コマガネ ハナコ"),
        ("ｺｰﾋｰ", "コーヒー"),
    ],
)
def test_kana_accepted_and_normalised(typed, kana):
    assert clean_kana(typed) == kana


@pytest.mark.parametrize("typed", ["Yamada", "山田", "ヤマダ1", "やまだ!"])
def test_wrong_kana_is_refused(typed):
    assert refused(clean_kana, typed) == "フリガナは全角カタカナで入力してください。"


def test_name_part_refuses_digits_and_symbols():
    assert clean_name_part(" 駒ヶ根 ") == "駒ヶ根"
    assert refused(clean_name_part, "花子2") == "氏名に数字や記号は使えません。"


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("2026-11-27", "2026-11-27"),
        ("2026/11/27", "2026-11-27"),
        ("２０２６／１１／２７", "2026-11-27"),
        ("2026年11月27日", "2026-11-27"),
        ("令和8年11月27日", "2026-11-27"),
        ("R8.11.27", "2026-11-27"),
        ("r8.11.27", "2026-11-27"),
        ("平成31年4月30日", "2019-04-30"),
        ("令和元年5月1日", "2019-05-01"),
        ("H1.1.8", "1989-01-08"),
        ("昭和64年1月7日", "1989-01-07"),
    ],
)
@time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
def test_dates_in_seireki_or_wareki(typed, iso):
    assert clean_date(typed) == iso


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "平成32年1月1日",
            "平成32年1月1日 は平成の期間外です（平成は1989-01-08から2019-04-30まで）。",
        ),
        (
            "平成31年5月1日",
            "平成31年5月1日 は平成の期間外です（平成は1989-01-08から2019-04-30まで）。",
        ),
        ("令和1年4月30日", "令和1年4月30日 は令和の期間外です（令和は2019-05-01から）。"),
        ("令和0年1月1日", "令和0年という年はありません。最初の年は「令和元年」です。"),
        ("2026-02-30", "2026-02-30 は存在しない日付です。"),
        ("来週の月曜", DATE_FORMAT),
        ("27/11/2026", DATE_FORMAT),
    ],
)
def test_bad_dates_are_refused_precisely(typed, message):
    assert refused(clean_date, typed) == message


@time_machine.travel(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC))
def test_future_birthdate_is_refused_where_past_only():
    assert clean_date("2026-11-27", label="生年月日", past_only=True) == "2026-11-27"
    assert refused(clean_date, "R8.11.28", label="生年月日", past_only=True) == (
        "生年月日に未来の日付は入力できません。"
    )
    assert clean_date("2027-01-01") == "2027-01-01"


@pytest.mark.parametrize(
    "typed", ["399-4231", "3994231", "〒399-4231", "３９９－４２３１", "399ー4231"]
)
def test_postal_codes(typed):
    assert clean_postal_code(typed) == "399-4231"


@pytest.mark.parametrize("typed", ["399-423", "39942311", "abc-defg", "399 4231 1"])
def test_bad_postal_codes(typed):
    assert refused(clean_postal_code, typed) == (
        "郵便番号は 399-4231 のように7桁の数字で入力してください。"
    )


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("0265-83-2111", "0265-83-2111"),
        ("０２６５－８３－２１１１", "0265-83-2111"),
        ("0265(83)2111", "0265-83-2111"),
        ("09012345678", "090-1234-5678"),
        ("080-1234-5678", "080-1234-5678"),
        ("050-1234-5678", "050-1234-5678"),
        ("0120-123-456", "0120-123-456"),
        ("0265832111", "0265832111"),
    ],
)
def test_phone_numbers(typed, normalised):
    assert clean_phone(typed) == normalised


@pytest.mark.parametrize(
    "typed", ["12345", "0265-83-211", "090-1234-56789", "0265--83-2111", "tel"]
)
def test_bad_phone_numbers(typed):
    assert refused(clean_phone, typed) == (
        "電話番号は 0265-83-2111 や 090-1234-5678 のように、市外局番から入力してください。"
    )


GOOD_ACCOUNT = {
    "bank_code": "0143",
    "branch_code": "557",
    "account_type": "1",
    "number": "12345",
    "holder": "コマガネ ハナコ",
}


def test_bank_account_checked_against_zengin_and_normalised():
    account = clean_account(GOOD_ACCOUNT)
    assert (account.bank_name, account.branch_name) == ("八十二長野", "駒ケ根")
    assert account.number == "0012345"
    assert account.holder == "ｺﾏｶﾞﾈ ﾊﾅｺ"
    assert (
        clean_account({**GOOD_ACCOUNT, "bank_code": "1396", "branch_code": "060"}).branch_name
        == "竜東"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bank_code": "143"}, "金融機関コードは4桁の数字で入力してください。"),
        ({"bank_code": "9998"}, "金融機関コード 9998 の金融機関はありません。"),
        ({"branch_code": "55"}, "支店コードは3桁の数字で入力してください。"),
        ({"branch_code": "999"}, "八十二長野に支店コード 999 の支店はありません。"),
        ({"account_type": "3"}, "預金種目を選択してください。"),
        ({"number": "12345678"}, "口座番号は7桁以内の数字で入力してください。"),
        ({"number": "12a"}, "口座番号は7桁以内の数字で入力してください。"),
        (
            {"holder": "山田花子"},
            "口座名義はカタカナで入力してください（英字・数字・スペース・（）．－／も使えます）。",
        ),
        ({"holder": ""}, "口座名義を入力してください。"),
        (
            {"holder": "ガ" * 16},
            "口座名義は半角30文字以内にしてください（濁点・半濁点も1文字と数えます）。",
        ),
    ],
)
def test_bad_bank_accounts(change, message):
    assert refused(clean_account, {**GOOD_ACCOUNT, **change}) == message


def test_zengin_kana_conversion():
    assert to_zengin_kana("きゃりー　ぱみゅ") == "ｷﾔﾘ- ﾊﾟﾐﾕ"
    assert to_zengin_kana("ｶ)ｺﾏｶﾞﾈ") == "ｶ)ｺﾏｶﾞﾈ"
    assert to_zengin_kana("abc") == "ABC"

"""Templates are checked when authored: an unknown or missing placeholder is named at once."""

import pytest
from django.core.exceptions import ValidationError

from musubi.platform.notify import services
from musubi.platform.notify.models import Template
from musubi.platform.notify.templating import check_values


def _template(**texts):
    return Template(code="t", name="t", placeholders=["date"], **texts)


def test_an_unknown_placeholder_is_named():
    bad = _template(subjects={"ja": "お知らせ"}, bodies={"ja": "{date}に{place}で"})
    with pytest.raises(ValidationError) as caught:
        services.save_template(bad)
    assert caught.value.messages == ["ja：差し込み項目「{place}」は定義されていません。"]


def test_a_declared_placeholder_missing_from_one_language_is_named():
    bad = _template(subjects={"ja": "x", "en": "x"}, bodies={"ja": "{date}", "en": "soon"})
    with pytest.raises(ValidationError) as caught:
        services.save_template(bad)
    assert caught.value.messages == ["en：差し込み項目「{date}」が本文にありません。"]


@pytest.mark.parametrize("body", ["{date", "{date!r}", "{date:>5}", "{1}"])
def test_malformed_braces_are_refused(body):
    with pytest.raises(ValidationError):
        services.save_template(_template(subjects={"ja": "x"}, bodies={"ja": body}))


def test_a_good_template_saves_and_renders_every_language(template):
    assert Template.objects.get(code="water-stop").placeholders == ["date", "area"]
    rendered = services.render_all(template, {"date": "6月1日", "area": "中沢"})
    assert rendered["ja"] == {
        "subject": "断水のお知らせ（6月1日）",
        "body": "6月1日に中沢で断水します。",
    }
    assert rendered["en"]["body"] == "Water is off in 中沢 on 6月1日."


def test_values_must_fill_every_placeholder_and_nothing_else():
    with pytest.raises(ValidationError) as caught:
        check_values(["date", "area"], {"date": "x", "aera": "typo"})
    assert caught.value.messages == [
        "差し込み項目「area」の値がありません。",
        "差し込み項目「aera」はこのテンプレートにありません。",
    ]

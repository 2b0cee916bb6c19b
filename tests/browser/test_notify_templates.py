"""A template edited in a real browser: chosen from the list, refused with what was typed kept,
then saved; axe-core passes each page, and the message list with its filters."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from musubi.platform.notify import services
from musubi.platform.notify.models import Template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_template_is_edited_refused_then_saved(page, axe, make_staff, staff_login):
    texts = {"subjects": {"ja": "断水（{date}）"}, "bodies": {"ja": "{date}に断水します。"}}
    services.save_template(
        Template(code="water-stop", name="断水のお知らせ", placeholders=["date"], **texts)
    )
    user, secret = make_staff("notify.view", "notify.send")
    staff_login(page, user, secret)
    page.goto("/notices/staff/new/")
    axe(page)
    page.get_by_role("link", name="断水のお知らせを編集").click()
    page.wait_for_url("**/notices/staff/templates/water-stop/edit/")
    axe(page)
    body = page.get_by_label("本文（日本語）")
    body.fill("{date}と{place}")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "差し込み項目「{place}」は定義されていません。"
    )
    expect(body).to_have_value("{date}と{place}")
    axe(page)  # the form with its error
    body.fill("{date}は断水です。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/notices/staff/new/")
    expect(page.get_by_text("テンプレートを保存しました。")).to_be_visible()
    assert Template.objects.get().bodies == {"ja": "{date}は断水です。"}
    page.goto("/notices/staff/?q=断水&emergency=1")
    expect(page.get_by_text("条件に合うお知らせはありません。")).to_be_visible()
    axe(page)  # the message list's filters

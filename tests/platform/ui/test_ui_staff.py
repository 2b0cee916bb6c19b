"""The staff dashboard: staff.dashboard behind the second factor; shows only what is allowed."""

import pytest
from django.urls import resolve, reverse

from musubi.platform.accounts.models import Role


@pytest.mark.django_db
def test_anonymous_is_sent_to_staff_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:staff_login"))


@pytest.mark.django_db
def test_password_alone_is_not_enough(client, citizens_department, staff_member, staff_client):
    user = staff_member(citizens_department, Role.CLERK, "staff.dashboard")
    response = staff_client(client, user, mfa=False).get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:staff_login"))


@pytest.mark.django_db
def test_staff_without_the_grant_is_refused_with_a_page(
    client, citizens_department, staff_member, staff_client
):
    user = staff_member(citizens_department, Role.CLERK)
    response = staff_client(client, user).get("/staff/")
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in response.content.decode()


@pytest.mark.django_db
def test_dashboard_shows_departments_roles_and_user(
    client, citizens_department, staff_member, staff_client
):
    user = staff_member(citizens_department, Role.SUPERVISOR, "staff.dashboard")
    response = staff_client(client, user).get("/staff/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "市民課" in body and "係長" in body
    assert "clerk@city.example.jp" in body
    assert f'action="{reverse("accounts:logout")}"' in body
    client.cookies["django_language"] = "en"
    body = client.get("/staff/").content.decode()
    assert "Citizens Division" in body and "Supervisor" in body


@pytest.mark.django_db
def test_tiles_and_menu_follow_the_target_pages_guards(
    client, citizens_department, staff_member, staff_client
):
    user = staff_member(citizens_department, Role.CLERK, "staff.dashboard")
    body = staff_client(client, user).get("/staff/").content.decode()
    audit_url = reverse("audit:list")
    assert f'href="{audit_url}"' not in body  # the audit trail's guard is not granted
    assert f'href="{reverse("api-docs")}"' in body  # API docs are not staff-guarded
    assert 'aria-current="page">ダッシュボード' in body

    audit_code = resolve(audit_url).func.staff_permission
    admin = staff_member(
        citizens_department, Role.ADMINISTRATOR, "staff.dashboard", audit_code, email="a@city.jp"
    )
    client.logout()
    body = staff_client(client, admin).get("/staff/").content.decode()
    assert body.count(f'href="{audit_url}"') == 2  # menu and tile


@pytest.mark.django_db
def test_residents_see_no_staff_menu_on_their_pages(client, resident_user):
    client.force_login(resident_user)
    body = client.get("/").content.decode()
    assert "職員メニュー" not in body
    assert reverse("ui:mypage") in body

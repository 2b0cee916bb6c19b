"""Staff: appointing and ending leaders (circulars.manage), posting anywhere (circulars.post)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from musubi.community.circulars import leaders
from musubi.community.circulars.models import Circular, Leader
from musubi.platform.audit.models import AuditRecord


def _appoint(client, town, **changes):
    data = {
        "number": town.aoki.number,
        "role": "kumicho",
        "district": town.district.pk,
        "kumi": "2",
        "term_start": timezone.localdate().isoformat(),
        "term_end": "",
    }
    data.update(changes)
    return client.post(reverse("circulars:staff_leaders"), data)


def test_leaders_page_needs_the_permission(town, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "circulars.post"))
    assert client.get(reverse("circulars:staff_leaders")).status_code == 403


def test_staff_appoint_a_kumicho_who_then_leads_their_kumi(town, make_staff, signed_in, account):
    client = signed_in(make_staff("somu", "circulars.manage"))
    page = client.get(reverse("circulars:staff_leaders"))
    assert page.status_code == 200 and "千葉 太郎" in page.content.decode()
    assert _appoint(client, town).status_code == 302
    leader = Leader.objects.get(resident=town.aoki)
    assert (leader.role, leader.kumi) == ("kumicho", town.kumi2)
    where = leaders.jurisdiction_of(account(town.aoki))
    assert where.covers(leaders.Area(town.district.pk, town.kumi2.pk))
    assert AuditRecord.objects.filter(subject_type="leader", action="create").exists()


def test_a_second_leader_for_the_same_seat_is_refused_with_the_reason(town, make_staff, signed_in):
    client = signed_in(make_staff("somu", "circulars.manage"))
    response = _appoint(client, town, role="kucho", kumi="")
    assert response.status_code == 400
    assert "千葉 太郎 さんが任期中です" in response.content.decode()
    unknown = _appoint(client, town, number="9999999999")
    assert "見つかりません" in unknown.content.decode()
    no_kumi = _appoint(client, town, kumi="99")
    assert "その番号の組はありません" in no_kumi.content.decode()
    assert Leader.objects.count() == 2


def test_ending_a_term_removes_the_leaders_access(
    town, make_staff, signed_in, account, resident_client
):
    staff = signed_in(make_staff("somu", "circulars.manage"))
    kumicho = Leader.objects.get(resident=town.kumicho)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = staff.post(
        reverse("circulars:staff_leader_end", args=[kumicho.pk]), {"last_day": yesterday}
    )
    assert response.status_code == 302
    staff.logout()
    assert not leaders.jurisdiction_of(account(town.kumicho))
    assert resident_client(town.kumicho).get(reverse("circulars:lead_index")).status_code == 403


def test_staff_with_circulars_post_post_to_any_district(town, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "circulars.post"))
    data = {
        "title_ja": "市からのお知らせ",
        "body_ja": "ごみ収集日が変わります。",
        "targets": [f"d{town.district.pk}", f"d{town.outsider.household.district_id}"],
        "due_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "remind_days_before": "1",
        "q1_kind": "choice",
        "q2_kind": "choice",
        "q3_kind": "choice",
    }
    response = client.post(reverse("circulars:staff_new"), data)
    assert response.status_code == 302
    circular = Circular.objects.get()
    assert circular.posted_as is None and circular.targets.count() == 2
    detail = client.get(reverse("circulars:staff_detail", args=[circular.pk])).content.decode()
    assert "外山 太郎" in detail  # 東伊那 has no 組: shown without one

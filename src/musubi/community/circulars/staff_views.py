"""Staff pages appointing 区長・組長 and ending their terms (``circulars.manage``).

The list names residents, so showing it writes an audit row.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from musubi.community.circulars import leaders
from musubi.community.circulars.forms import AppointForm, EndTermForm
from musubi.community.circulars.models import Leader
from musubi.community.circulars.permissions import MANAGE
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.residents import services as residents

PURPOSE = "区長・組長の任命の管理"


def _audit(request: HttpRequest, action: Action, leader: Leader, what: str) -> None:
    record(request, action=action, subject=leader, what=what, purpose=PURPOSE)


def _listing(request: HttpRequest, form: AppointForm, status: int = 200) -> HttpResponse:
    record(
        request, action=Action.READ, subject=Subject("leader", ""), what="leaders", purpose=PURPOSE
    )
    rows = Leader.objects.select_related("resident", "district", "kumi").order_by(
        "district__order", "role", "kumi__number", "-term_start"
    )
    serving = set(leaders.serving().values_list("pk", flat=True))
    context = {
        "form": form,
        "serving": [row for row in rows if row.pk in serving],
        "others": [row for row in rows if row.pk not in serving],
        "end_form": EndTermForm(initial={"last_day": timezone.localdate()}),
    }
    return render(request, "circulars/staff/leaders.html", context, status=status)


@staff_required(MANAGE.code)
@require_http_methods(["GET", "POST"])
def leaders_page(request: HttpRequest) -> HttpResponse:
    """The serving and past leaders, and the form to appoint one."""
    if request.method == "GET":
        return _listing(request, AppointForm(initial={"term_start": timezone.localdate()}))
    form = AppointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        resident = residents.living_residents().filter(number=data["number"]).first()
        if resident is None:
            form.add_error("number", _("この宛名番号の住民は見つかりません。"))
        else:
            try:
                leader = leaders.appoint(
                    resident,
                    role=data["role"],
                    district=data["district"],
                    kumi=data["kumi_row"],
                    term_start=data["term_start"],
                    term_end=data["term_end"],
                    by=request.user,
                )
            except leaders.LeaderError as exc:
                form.add_error(None, exc.messages[0])
            else:
                _audit(request, Action.CREATE, leader, "leader appointed")
                messages.success(request, _("%(leader)s を任命しました。") % {"leader": leader})
                return redirect("circulars:staff_leaders")
    return _listing(request, form, status=400)


@staff_required(MANAGE.code)
@require_POST
def end_term(request: HttpRequest, pk: int) -> HttpResponse:
    leader = get_object_or_404(Leader, pk=pk)
    form = EndTermForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("任期の最終日を正しく入力してください。"))
        return redirect("circulars:staff_leaders")
    try:
        leaders.end_term(leader, form.cleaned_data["last_day"])
    except leaders.LeaderError as exc:
        messages.error(request, exc.messages[0])
    else:
        _audit(request, Action.UPDATE, leader, "leader term ended")
        messages.success(request, _("%(leader)s の任期を終了しました。") % {"leader": leader})
    return redirect("circulars:staff_leaders")

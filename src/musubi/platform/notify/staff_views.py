"""Back-office pages of the hub: templates, composing (preview count, confirm), approval,
reach, deliveries (searchable, CSV) and the paper/visit list of unreached households.

A staff member sees the messages of the departments whose role grants ``notify.view``. Every
list that shows addresses or names is written to the audit trail before it is shown.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.notify import reach, services
from musubi.platform.notify.forms import ComposeForm, TemplateForm
from musubi.platform.notify.models import (
    Delivery,
    DeliveryState,
    Message,
    MessageState,
    Template,
)

PAGE_SIZE = 50
PURPOSE = "お知らせの配信管理"


def _visible(request: HttpRequest) -> QuerySet[Message]:
    departments = accounts.departments_granting(request.user, "notify.view")
    return Message.objects.filter(department__in=departments).select_related("template")


def _message(request: HttpRequest, pk: int) -> Message:
    return get_object_or_404(_visible(request), pk=pk)


@staff_required("notify.view")
def message_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_filtered(_visible(request), request), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "states": MessageState.choices, "query": _filters(request)}
    return render(request, "notify/staff/messages.html", context)


def _filters(request: HttpRequest) -> str:
    """The list's filters for its page links (the page itself left out, or links grow)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filtered(found: QuerySet[Message], request: HttpRequest) -> QuerySet[Message]:
    """By words of the subject (Japanese or English) or the audience, state, and emergencies."""
    if q := request.GET.get("q", "").strip():
        found = found.filter(
            Q(rendered__ja__subject__icontains=q)
            | Q(rendered__en__subject__icontains=q)
            | Q(audience_label__icontains=q)
        )
    if (state := request.GET.get("state")) in MessageState.values:
        found = found.filter(state=state)
    if request.GET.get("emergency"):
        found = found.filter(emergency=True)
    return found


@staff_required("notify.send")
def template_new(request: HttpRequest) -> HttpResponse:
    form = _template_form(request)
    if request.method == "POST" and form.is_valid():
        department = accounts.departments_granting(request.user, "notify.send")[0]
        code = form.cleaned_data["code"]
        services.save_template(Template(code=code, department=department, **form.changes()))
        messages.success(request, _("テンプレートを保存しました。"))
        return redirect("notify:staff_choose")
    return render(request, "notify/staff/template_form.html", {"form": form})


@staff_required("notify.send")
def template_edit(request: HttpRequest, code: str) -> HttpResponse:
    template = get_object_or_404(_editable(request), code=code)
    form = _template_form(request, template)
    if request.method == "POST" and form.is_valid():
        may_approve = "emergency_approved" in form.fields
        services.edit_template(template, form.changes(), may_approve=may_approve)
        messages.success(request, _("テンプレートを保存しました。"))
        return redirect("notify:staff_choose")
    context = {"form": form, "template": template}
    return render(request, "notify/staff/template_form.html", context)


def _template_form(request: HttpRequest, template: Template | None = None) -> TemplateForm:
    """Only those who may send emergencies see (and set) a template's pre-approval."""
    form = TemplateForm(request.POST or None, template=template)
    if not accounts.has_permission(request.user, "notify.emergency"):
        del form.fields["emergency_approved"]
    return form


def _editable(request: HttpRequest) -> QuerySet[Template]:
    """The templates of the departments whose role grants ``notify.send``, and the shared ones."""
    departments = accounts.departments_granting(request.user, "notify.send")
    return Template.objects.filter(Q(department__in=departments) | Q(department__isnull=True))


@staff_required("notify.send")
def choose(request: HttpRequest) -> HttpResponse:
    editable = set(_editable(request).values_list("pk", flat=True))
    context = {"templates": Template.objects.all(), "editable": editable}
    return render(request, "notify/staff/choose.html", context)


@staff_required("notify.send")
def compose(request: HttpRequest, code: str) -> HttpResponse:
    template = get_object_or_404(Template, code=code)
    may_emergency = accounts.has_permission(request.user, "notify.emergency")
    form = ComposeForm(request.POST or None, template=template, may_emergency=may_emergency)
    context = {"form": form, "template": template}
    if request.method != "POST" or not form.is_valid():
        return render(request, "notify/staff/compose.html", context)
    audience = form.audience()
    try:
        context["size"] = services.audience_size(audience)
        context["preview"] = services.render_all(template, form.values()).get("ja")
        if request.POST.get("confirmed") != "yes":
            return render(request, "notify/staff/compose.html", context)
        message = _create(request, form, template, audience)
    except ValidationError as exc:
        for text in exc.messages:
            form.add_error(None, text)
        return render(request, "notify/staff/compose.html", context)
    messages.success(request, _("お知らせを登録しました。"))
    return redirect("notify:staff_message", pk=message.pk)


def _create(request: HttpRequest, form: ComposeForm, template: Template, audience: dict):
    data = form.cleaned_data
    department = accounts.departments_granting(request.user, "notify.send")[0]
    return services.compose(
        template=template, values=form.values(), audience=audience, created_by=request.user,
        emergency=data.get("emergency", False), needs_ack=data["needs_ack"],
        scheduled_at=data["scheduled_at"], publish_onsite=data["publish_onsite"],
        renotify_after_minutes=data["renotify_after_minutes"], department=department,
    )  # fmt: skip


@staff_required("notify.view")
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    context = {
        "message": message,
        "text": message.localized(),
        "reach": reach.reach_of(message),
        "may_approve": accounts.has_permission(request.user, "notify.approve")
        and message.created_by_id != request.user.pk,
    }
    return render(request, "notify/staff/message.html", context)


@require_POST
@staff_required("notify.approve")
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.approve(_message(request, pk), request.user)
        messages.success(request, _("承認しました。送信を始めます。"))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("notify:staff_message", pk=pk)


@require_POST
@staff_required("notify.send")
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.cancel(_message(request, pk))
        messages.success(request, _("取り消しました。"))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("notify:staff_message", pk=pk)


def _deliveries(message: Message, request: HttpRequest) -> QuerySet[Delivery]:
    rows = message.deliveries.select_related("household", "resident").order_by("id")
    if q := request.GET.get("q", "").strip():
        rows = rows.filter(Q(address__icontains=q) | Q(household__number=q) | Q(resident__number=q))
    if (state := request.GET.get("state")) in DeliveryState.values:
        rows = rows.filter(state=state)
    if channel := request.GET.get("channel"):
        rows = rows.filter(channel=channel)
    return rows


@staff_required("notify.view")
def deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    rows = _deliveries(message, request)
    subject = Subject("notify_message", str(message.pk))
    if request.GET.get("format") == "csv":
        record(request, action=Action.EXPORT, subject=subject, what="配信一覧CSV", purpose=PURPOSE)
        return _csv(f"deliveries-{message.pk}.csv", _delivery_rows(rows))
    record(request, action=Action.SEARCH, subject=subject, what="配信一覧", purpose=PURPOSE)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"message": message, "page": page, "states": DeliveryState.choices,
               "query": _filters(request)}  # fmt: skip
    return render(request, "notify/staff/deliveries.html", context)


def _delivery_rows(rows: QuerySet[Delivery]):
    yield ["id", "key", "channel", "address", "household", "resident", "state", "attempts",
           "sent_at", "detail"]  # fmt: skip
    for d in rows.iterator(chunk_size=2000):
        yield [d.pk, d.key, d.channel, d.address, d.household.number if d.household else "",
               d.resident.number if d.resident else "", d.state, d.attempts,
               d.sent_at.isoformat() if d.sent_at else "", d.detail]  # fmt: skip


def _csv(filename: str, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(row)
    return response


@staff_required("notify.view")
def paper(request: HttpRequest, pk: int) -> HttpResponse:
    """Unreached households by 区/組: print for post or door-to-door; record what was handed."""
    message = _message(request, pk)
    subject = Subject("notify_message", str(message.pk))
    if request.method == "POST":
        return _paper_done(request, message)
    households = reach.unreached(message)
    if request.GET.get("format") == "csv":
        record(
            request, action=Action.EXPORT, subject=subject, what="未到達世帯CSV", purpose=PURPOSE
        )
        return _csv(f"unreached-{message.pk}.csv", _paper_rows(households))
    record(request, action=Action.READ, subject=subject, what="未到達世帯一覧", purpose=PURPOSE)
    context = {"message": message, "households": households, "text": message.text("ja")}
    return render(request, "notify/staff/paper.html", context)


def _paper_done(request: HttpRequest, message: Message) -> HttpResponse:
    if not accounts.has_permission(request.user, "notify.send"):
        raise Http404
    ids = [int(i) for i in request.POST.getlist("household") if i.isdigit()]
    count = reach.paper_delivered(message, ids)
    messages.success(request, _("%(count)d 世帯を配達済みにしました。") % {"count": count})
    return redirect("notify:staff_paper", pk=message.pk)


def _paper_rows(households):
    yield ["区", "組", "世帯番号", "世帯主", "郵便番号", "住所"]
    for h in households:
        yield [h.district.name, h.kumi.number if h.kumi else "", h.number,
               str(h.head or ""), h.address.postal_code, str(h.address)]  # fmt: skip

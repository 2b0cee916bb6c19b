"""Back office (職員用) pages of payments: the list with filters, CSV export, one payment with
its log, and refunds behind a confirmation step.

Every list, export and detail is written to the audit trail before it is shown: a payment
names its payer. A refund form carries a key made when the form was shown, so pressing the
button twice refunds once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.services import has_permission
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.payments import services
from musubi.platform.payments.errors import PaymentError
from musubi.platform.payments.models import Payment, State

PAGE_SIZE = 50
PURPOSE = "使用料・手数料の収納管理"
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")


class FilterForm(forms.Form):
    """The list filters; every field optional, a wrong value reported on its field."""

    state = forms.ChoiceField(label=gettext_lazy("状態"), required=False)
    subject_app = forms.CharField(label=gettext_lazy("対象の業務"), required=False, max_length=50)
    q = forms.CharField(label=gettext_lazy("支払番号・内容"), required=False, max_length=100)
    since = forms.DateField(
        label=gettext_lazy("作成日（から）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("作成日（まで）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("すべて")), *State.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("終了日は開始日以降にしてください。"))
        return data

    def payments(self) -> QuerySet[Payment]:
        data = self.cleaned_data
        found = Payment.objects.select_related("payer")
        if data["state"]:
            found = found.filter(state=data["state"])
        if data["subject_app"]:
            found = found.filter(subject_app=data["subject_app"])
        if data["q"]:
            found = found.filter(
                Q(reference__icontains=data["q"]) | Q(purpose__icontains=data["q"])
            )
        if data["since"]:
            found = found.filter(created_at__gte=_start_of(data["since"]))
        if data["until"]:
            found = found.filter(created_at__lt=_start_of(data["until"] + dt.timedelta(days=1)))
        return found


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filters_text(params: Any) -> str:
    kept = {k: v for k, v in params.items() if k != "page" and v}
    return ("payments " + " ".join(f"{k}={v}" for k, v in sorted(kept.items())))[:200]


@staff_required("payments.view")
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET)
    page = None
    if form.is_valid():
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("payment", ""),
            what=_filters_text(request.GET),
            purpose=PURPOSE,
        )
        page = Paginator(form.payments(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "payments/staff/list.html", context)


CSV_COLUMNS = (
    ("reference", lambda p: p.reference),
    ("state", lambda p: p.state),
    ("amount", lambda p: p.amount),
    ("refunded_amount", lambda p: p.refunded_amount),
    ("purpose", lambda p: p.purpose),
    ("payer", lambda p: p.payer.email),
    ("subject_app", lambda p: p.subject_app),
    ("subject_id", lambda p: p.subject_id),
    ("provider", lambda p: p.provider),
    ("provider_reference", lambda p: p.provider_reference),
    ("created_at", lambda p: _local(p.created_at)),
    ("paid_at", lambda p: _local(p.paid_at)),
    ("due_at", lambda p: _local(p.due_at)),
)


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _cell(value: Any) -> Any:
    """A spreadsheet must never run a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_RISKY_START):
        return "'" + value
    return value


@staff_required("payments.view")
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered payments as UTF-8 CSV (with BOM, so spreadsheet software reads it)."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("絞り込みの条件を確認してください。"))
        return render(
            request,
            "payments/staff/list.html",
            {"form": form, "page": None, "query": ""},
            status=400,
        )
    record(
        request,
        action=Action.EXPORT,
        subject=Subject("payment", ""),
        what=_filters_text(request.GET),
        purpose=PURPOSE,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _value in CSV_COLUMNS])
    for payment in form.payments().iterator():
        writer.writerow([_cell(value(payment)) for _name, value in CSV_COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="payments.csv"'
    return response


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("返金額（円）"), min_value=1)
    reason = forms.CharField(label=gettext_lazy("返金の理由"), max_length=500)
    key = forms.CharField(widget=forms.HiddenInput, max_length=255)


def _staff_payment(reference: str) -> Payment:
    payment = Payment.objects.select_related("payer").filter(reference=reference).first()
    if payment is None:
        raise Http404(_("この支払は見つかりません。"))
    return payment


def _detail(request: HttpRequest, payment: Payment, form: RefundForm, status: int = 200):
    context = {
        "payment": payment,
        "events": payment.events.all(),
        "refunds": payment.refunds.select_related("actor"),
        "form": form,
        "may_refund": has_permission(request.user, "payments.refund")
        and payment.refundable_amount > 0,
    }
    return render(request, "payments/staff/detail.html", context, status=status)


@staff_required("payments.view")
@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _staff_payment(reference)
    record(request, action=Action.READ, subject=payment, what="payment", purpose=PURPOSE)
    form = RefundForm(initial={"amount": payment.refundable_amount, "key": uuid.uuid4().hex})
    return _detail(request, payment, form)


@staff_required("payments.refund")
@require_POST
def refund(request: HttpRequest, reference: str) -> HttpResponse:
    """First POST shows the confirmation; the POST with ``confirm`` refunds."""
    payment = _staff_payment(reference)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _detail(request, payment, form, status=400)
    if "confirm" not in request.POST:
        return render(
            request, "payments/staff/refund_confirm.html", {"payment": payment, "form": form}
        )
    data = form.cleaned_data
    try:
        services.refund(
            payment, data["amount"], data["reason"], key=data["key"], actor=request.user
        )
    except PaymentError as exc:
        form.add_error(None, exc.message)
        return _detail(request, payment, form, status=400)
    record(
        request,
        action=Action.UPDATE,
        subject=payment,
        what=f"refund {data['amount']} yen",
        purpose=PURPOSE,
    )
    messages.success(request, _("%(amount)s円を返金しました。") % {"amount": f"{data['amount']:,}"})
    return redirect("payments:staff_detail", payment.reference)

"""Resident pages of payments (my payments, paying, the receipt), the demo provider's payment
page, and the webhook endpoint every provider calls.

A resident sees only their own payments: any other reference is a 404, never a 403, so a
reference cannot be probed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musubi.platform.api.problems import problem
from musubi.platform.payments import services
from musubi.platform.payments.errors import PaymentError, UnknownProvider, WebhookRejected
from musubi.platform.payments.models import RECEIPTED, Payment, State
from musubi.platform.payments.providers import demo
from musubi.platform.payments.receipts import receipt_pdf

PAGE_SIZE = 20
OUTCOMES = ("success", "failure")


def _own(request: HttpRequest, reference: str) -> Payment:
    payment = services.payments_of(request.user).filter(reference=reference).first()
    if payment is None:
        raise Http404(_("この支払は見つかりません。"))
    return payment


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """``/payments/``: the signed-in person's payments, newest first."""
    page = Paginator(services.payments_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/resident/mine.html", {"page": page, "query": ""})


@login_required
@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _own(request, reference)
    context = {"payment": payment, "receipted": payment.state in RECEIPTED}
    return render(request, "payments/resident/detail.html", context)


@login_required
@require_POST
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Hand the payment to its provider and go to the provider's payment page."""
    payment = _own(request, reference)
    try:
        return redirect(services.start(payment))
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("payments:detail", payment.reference)


@login_required
@require_GET
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    """The receipt (領収書) PDF, once the payment was paid."""
    payment = _own(request, reference)
    if payment.state not in RECEIPTED:
        raise Http404(_("領収書は支払の完了後に発行されます。"))
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"receipt-{payment.reference}.pdf"
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def demo_page(request: HttpRequest, reference: str) -> HttpResponse:
    """The demo provider's payment page: the payer picks an outcome, the provider signs a webhook.

    The webhook goes through ``services.receive_webhook`` exactly like one arriving over HTTP.
    """
    payment = _own(request, reference)
    if payment.provider != demo.DemoProvider.code or payment.state != State.PENDING:
        messages.error(request, _("この支払はデモ決済の支払待ちではありません。"))
        return redirect("payments:detail", payment.reference)
    error = ""
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome in OUTCOMES:
            return _demo_pay(request, payment, outcome == "success")
        error = _("支払結果を選んでください。")
    return render(request, "payments/resident/demo.html", {"payment": payment, "error": error})


def _demo_pay(request: HttpRequest, payment: Payment, succeeded: bool) -> HttpResponse:
    try:
        services.receive_webhook(demo.DemoProvider.code, demo.webhook_for(payment, succeeded))
    except WebhookRejected as exc:
        messages.error(request, exc.message)
        return redirect("payments:detail", payment.reference)
    if succeeded:
        messages.success(request, _("支払が完了しました。領収書をダウンロードできます。"))
    else:
        messages.error(request, _("支払ができませんでした。もう一度お試しください。"))
    return redirect("payments:detail", payment.reference)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """``/payments/webhooks/<provider>/``: a provider tells us a payment's outcome.

    200 when applied or replayed; 400 problem+json saying why when refused (nothing changed);
    404 for a provider that is not enabled.
    """
    try:
        received = services.receive_webhook(provider, request)
    except UnknownProvider as exc:
        return problem(404, exc.message)
    except WebhookRejected as exc:
        return problem(400, exc.message, title=_("通知を受け付けられません"))
    return JsonResponse({"status": received.value})

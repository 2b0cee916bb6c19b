"""Delivery receipts from the SMS gateway: it posts each message's later status to the URL the
channel gave it (``StatusCallback``). Nothing in a receipt is believed before its
``X-Twilio-Signature`` checks out against our auth token; a delivered or failed SMS then settles
its delivery, so reach counts what arrived, not what the gateway took.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from musubi.platform.notify import services as hub
from musubi.platform.notify.channels import sms


@csrf_exempt
@require_POST
def receipt(request: HttpRequest) -> HttpResponse:
    params = {name: request.POST[name] for name in request.POST}
    expected = sms.signature(settings.SMS_AUTH_TOKEN, sms.receipts_url(), params)
    given = request.headers.get("X-Twilio-Signature", "")
    if not settings.SMS_AUTH_TOKEN or not hmac.compare_digest(expected, given):
        return HttpResponse("signature does not match", status=403, content_type="text/plain")
    status = params.get("MessageStatus", "")
    outcome = sms.receipt_outcome(status)
    if outcome is not None:
        error = params.get("ErrorCode", "")
        detail = f"receipt: {status}" + (f" (error {error})" if error else "")
        hub.record_receipt("sms", params.get("MessageSid", ""), outcome, detail)
    return HttpResponse(status=204)

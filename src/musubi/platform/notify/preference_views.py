"""The resident's notification settings at /notices/preferences/, and the email link page.

Views only parse the form, call ``preferences`` / ``contact_verification`` and render; every
change to a contact or to the choice of channels is written to the audit trail in the same
transaction, so a change without its audit row does not happen.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record
from musubi.platform.notify import contact_verification as contacts
from musubi.platform.notify import fanout, preferences
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactKind, ContactPoint, Resident

TEMPLATE = "notify/preferences.html"
PURPOSE = "本人による通知設定"


def _audit(request: HttpRequest, action: str, subject: object, what: str) -> None:
    record(request, action=action, subject=subject, what=what, purpose=PURPOSE)


def _state(found: list[ContactPoint]) -> str:
    if any(c.verified for c in found):
        return _("確認済み")
    return _("確認待ち") if found else _("未登録")


def _rows(choice: preferences.Choice, ranks: dict[str, str], known: list[ContactPoint]) -> list:
    """One row per digital channel in the chosen order: label, rank, refused, contact state."""
    kinds = {c.code: c.contact_kind for c in fanout.person_channels()}
    return [
        {
            "code": code,
            "label": preferences.label(code),
            "rank": ranks.get(code) or str(position),
            "refused": code in choice.opted_out,
            "state": _state([c for c in known if c.kind == kinds[code]]),
        }
        for position, code in enumerate(choice.order, start=1)
    ]


def _page(request: HttpRequest, resident: Resident, status: int = 200, **posted) -> HttpResponse:
    """The whole page; ``posted`` carries what the resident typed and the error to show."""
    known = residents.contacts_of(resident.pk)
    choice = posted.pop("choice", None) or preferences.current(resident.pk)
    context = {
        "resident": resident,
        "rows": _rows(choice, posted.pop("ranks", {}), known),
        "positions": range(1, len(choice.order) + 1),
        "emails": [c for c in known if c.kind == ContactKind.EMAIL],
        "mobiles": [c for c in known if c.kind == ContactKind.MOBILE],
        "lines": [c for c in known if c.kind == ContactKind.LINE],
        "browsers": sum(1 for c in known if c.kind == ContactKind.WEBPUSH),
        "household": preferences.household_reach(resident.pk, resident.household_id),
        "link_hours": contacts.link_hours(),
        **posted,
    }
    return render(request, TEMPLATE, context, status=status)


def _resident_or_notice(request: HttpRequest) -> tuple[Resident | None, HttpResponse | None]:
    """The signed-in resident, or the page explaining that the account is not linked yet."""
    resident = residents.resident_for(request.user)
    if resident is None or resident.household_id is None:
        status = 200 if request.method == "GET" else 403
        return None, render(request, TEMPLATE, {"resident": None}, status=status)
    return resident, None


@login_required
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    """Show the settings; on POST store the order and refusals (or say what is wrong)."""
    resident, refusal = _resident_or_notice(request)
    if refusal:
        return refusal
    if request.method == "GET":
        return _page(request, resident)
    ranks = {code: request.POST.get(f"rank_{code}", "") for code in preferences.digital_codes()}
    refused = request.POST.getlist("refuse")
    try:
        with transaction.atomic():
            choice = preferences.from_form(ranks, refused)
            preferences.save(resident.pk, choice)
            _audit(request, Action.UPDATE, resident, f"通知の受け取り方 順位={choice.order} "
                   f"受け取らない={choice.opted_out}")  # fmt: skip
    except preferences.PreferenceError as exc:
        typed = preferences.Choice(preferences.current(resident.pk).order, refused)
        return _page(
            request, resident, 400, choice=typed, ranks=ranks, choice_error=exc.messages[0]
        )
    messages.success(request, _("受け取り方を保存しました。"))
    return redirect("notify:preferences")


def _contact_action(
    field: str, act: Callable[[int, str], ContactPoint], action: str, done: Promise
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST view that adds a contact from one typed field; errors keep what was typed."""

    @login_required
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        resident, refusal = _resident_or_notice(request)
        if refusal:
            return refusal
        value = request.POST.get(field, "")
        try:
            with transaction.atomic():
                contact = act(resident.pk, value)
                _audit(request, action, contact, f"連絡先の追加（{contact.kind}）")
        except contacts.ContactError as exc:
            return _page(
                request, resident, 400, **{field: value, f"{field}_error": exc.messages[0]}
            )
        messages.success(request, str(done))
        return redirect("notify:preferences")

    return view


add_email = _contact_action(
    "email", contacts.add_email, Action.CREATE,
    gettext_lazy("確認メールを送りました。メールのリンクを開くと、このアドレスに届くようになります。"),
)  # fmt: skip
add_mobile = _contact_action(
    "mobile", contacts.add_mobile, Action.CREATE,
    gettext_lazy("番号を登録しました。「確認コードを送る」を押し、SMSで届いたコードを入力してください。"),
)  # fmt: skip


@login_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    resident, refusal = _resident_or_notice(request)
    if refusal:
        return refusal
    try:
        contact = contacts.resend(resident.pk, pk)
    except contacts.ContactError as exc:
        return _page(request, resident, 400, contacts_error=exc.messages[0])
    _audit(request, Action.UPDATE, contact, "確認メールの再送")
    messages.success(request, _("確認メールを送り直しました。"))
    return redirect("notify:preferences")


def _code_refusal(
    request: HttpRequest, resident: Resident, pk: int, error: str, typed: str = ""
) -> HttpResponse:
    """The page with the error beside the number's code field, or at the top when the page
    shows no code field for ``pk`` (a verified number, someone else's contact)."""
    waiting = {c.pk for c in residents.contacts_of(resident.pk)
               if c.kind == ContactKind.MOBILE and not c.verified}  # fmt: skip
    if pk not in waiting:
        return _page(request, resident, 400, contacts_error=error)
    return _page(request, resident, 400, code_for=pk, code=typed, code_error=error)


@login_required
@require_POST
def send_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Text a one-time code to one of the resident's unverified mobile numbers."""
    resident, refusal = _resident_or_notice(request)
    if refusal:
        return refusal
    try:
        contact = contacts.send_code(resident.pk, pk)
    except contacts.ContactError as exc:
        return _code_refusal(request, resident, pk, exc.messages[0])
    _audit(request, Action.UPDATE, contact, "確認コードのSMS送信")
    messages.success(request, _("確認コードをSMSで送りました。"))
    return redirect("notify:preferences")


@login_required
@require_POST
def check_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The code typed back: the number becomes verified, or the page says what is wrong."""
    resident, refusal = _resident_or_notice(request)
    if refusal:
        return refusal
    typed = request.POST.get("code", "")
    try:
        with transaction.atomic():
            contact = contacts.check_code(resident.pk, pk, typed)
            _audit(request, Action.UPDATE, contact, "携帯電話番号の確認（SMSコード）")
    except contacts.ContactError as exc:
        return _code_refusal(request, resident, pk, exc.messages[0], typed)
    messages.success(request, _("携帯電話の番号を確認しました。"))
    return redirect("notify:preferences")


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an address or number, or unlink LINE (the contact is removed either way)."""
    resident, refusal = _resident_or_notice(request)
    if refusal:
        return refusal
    try:
        with transaction.atomic():
            contact = contacts.remove(resident.pk, pk)
            _audit(request, Action.DELETE, contact, f"連絡先の削除（{contact.kind}）")
    except contacts.ContactError as exc:
        return _page(request, resident, 400, contacts_error=exc.messages[0])
    if contact.kind == ContactKind.LINE:
        messages.success(request, _("LINEとの連携を解除しました。"))
    else:
        messages.success(request, _("連絡先を削除しました。"))
    return redirect("notify:preferences")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: GET asks for a press (mail scanners open links), POST verifies."""
    try:
        if request.method == "GET":
            contacts.read_token(token)
            return render(request, "notify/verify_email.html", {})
        with transaction.atomic():
            contact = contacts.verify_email(token)
            _audit(request, Action.UPDATE, contact, "メールアドレスの確認（リンク）")
    except contacts.ContactError as exc:
        return render(request, "notify/verify_email.html", {"error": exc.messages[0]}, status=400)
    return render(request, "notify/verify_email.html", {"done": True, "address": contact.value})

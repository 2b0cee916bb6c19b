"""Pages of the files app: a resident's own files (list, upload, delete) and serving a file.

Serving is the only way file contents leave the server. The owner reads their own file;
staff read only through a grant or a registered policy, after passing the second factor,
and every staff read is audited before a byte is sent.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record
from musubi.platform.files import services
from musubi.platform.files.forms import UploadForm
from musubi.platform.files.models import StoredFile

# Nothing in a served file may run or load anything, even if a browser renders it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
MY_FILES = "my_files"


def _readable(request: HttpRequest, file_id) -> tuple[StoredFile, services.Access]:
    """The file and how the user may read it; 404 alike for "missing" and "not yours"."""
    file = StoredFile.objects.filter(pk=file_id).first()
    access = services.access_for(request.user, file) if file else None
    if file is None or access is None:
        raise Http404(_("ファイルが見つかりません。"))
    return file, access


@require_GET
def serve(request: HttpRequest, file_id) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    file, access = _readable(request, file_id)
    if access.as_staff:
        if not request.session.get("staff_mfa_passed"):
            return redirect_to_login(request.get_full_path(), "accounts:staff_login")
        record(
            request,
            action=Action.READ,
            subject=file,
            what=f"attachment {file.kind} {file.size} bytes",
            purpose=access.purpose,
        )
    try:
        content = services.read_content(file)
    except FileNotFoundError:
        raise Http404(_("ファイルの内容が見つかりません。")) from None
    return _file_response(file, content, download=request.GET.get("download") == "1")


def _file_response(file: StoredFile, content: bytes, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(download, file.original_name)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    files = services.files_of(request.user)
    return render(request, "files/mine.html", {"files": files})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    bound = request.method == "POST"
    form = UploadForm(request.POST, request.FILES) if bound else UploadForm()
    if bound and form.is_valid():
        refusals = _store_all(request, form.cleaned_data["files"])
        if not refusals:
            return redirect("files:mine")
        for refusal in refusals:
            form.add_error("files", refusal.message)
    return render(request, "files/upload.html", {"form": form}, status=_status(form))


def _status(form: UploadForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _store_all(request: HttpRequest, uploads: list) -> list[services.FileRejected]:
    """Store each acceptable file on its own; the refused ones are reported, none half-kept."""
    try:
        services.check_total(uploads)
    except services.FileRejected as refusal:
        return [refusal]
    refusals = []
    for uploaded in uploads:
        try:
            stored = services.store_upload(request.user, uploaded, purpose=MY_FILES)
        except services.FileRejected as refusal:
            refusals.append(refusal)
        else:
            messages.success(request, _("「%(name)s」を登録しました。") % {"name": stored})
    return refusals


@login_required
def delete(request: HttpRequest, file_id) -> HttpResponse:
    file = StoredFile.objects.filter(pk=file_id, owner=request.user).first()
    if file is None:
        raise Http404(_("ファイルが見つかりません。"))
    uses = services.references_to(file)
    if request.method == "POST" and not uses:
        try:
            services.delete_file(request.user, file)
        except services.FileInUse as in_use:
            uses = in_use.uses
        else:
            messages.success(request, _("「%(name)s」を削除しました。") % {"name": file})
            return redirect("files:mine")
    status = 409 if request.method == "POST" else 200
    return render(request, "files/delete.html", {"file": file, "uses": uses}, status=status)

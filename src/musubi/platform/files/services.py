"""Public API of the files app: accept, keep, reuse and serve residents' attachments.

Other apps never touch ``StoredFile`` rows or the storage directly; they call:

Accepting
    ``store_upload(user, uploaded_file, purpose="") -> StoredFile`` — sniff the content
    (PDF, JPEG or PNG only, whatever the name says), refuse programs, archives, web pages,
    polyglots and oversized files with ``FileRejected`` (``.message`` in the active
    language, ``.messages()`` in ja and en, ``.reason`` a stable code), strip location and
    other metadata from photos, store under a random key. ``inspect_upload`` does the same
    checks without storing (a form's ``clean``), ``check_total(uploads)`` enforces the
    per-request limit, ``store_bytes`` accepts bytes made on the server.

Reusing (once only)
    ``files_of(user, kinds=("pdf",), purpose=None)`` lists a resident's earlier uploads;
    ``owned_file(user, file_id)`` fetches one of them (``StoredFile.DoesNotExist`` when it
    is not theirs) so an application can attach it again without a new upload.

Access
    The owner may always read. Staff may read when either
      * the app that received the file called
        ``grant_access(file, permission_code="procedures.view", department=dept,
        reason="児童手当 認定請求の審査")`` (``department=None``: any department whose role
        grants the code), or
      * a policy registered with ``@register_policy(purpose)`` answers True for
        ``(user, file)``.
    ``access_for(user, file)`` says whether and as whom; the ``files:serve`` view writes an
    audit row for every staff read, with the grant's reason or the policy's purpose.

Deleting
    An app that points at files registers ``@register_references`` — a callable
    ``(file) -> list[str]`` naming what uses the file (e.g. "申請 R7-000123"). A resident
    may delete a file only while no finder names a use (``FileInUse`` otherwise).

Reading contents on the server (a PDF summary, an export): ``read_content(file)``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts import services as accounts
from musubi.platform.files import photos
from musubi.platform.files.models import FileGrant, StoredFile
from musubi.platform.files.sniffing import KINDS, Kind, Unacceptable, identify
from musubi.platform.files.storage import default_storage
from musubi.platform.languages import in_every_language

MAX_NAME = 150
MB = 1024 * 1024

REASONS: dict[str, Any] = {
    "empty": _("ファイルが空です。"),
    "too_large": _("ファイルが大きすぎます（1ファイルの上限は %(limit)s MB です）。"),
    "total_too_large": _("一度に送れる合計サイズ（%(limit)s MB）を超えています。"),
    "executable": _("プログラム（実行ファイル）は受け付けられません。"),
    "script": _("スクリプトは受け付けられません。"),
    "archive": _("圧縮ファイルやOffice文書（マクロを含みうる形式）は受け付けられません。"),
    "markup": _("HTMLやSVGなどのWebページ形式は受け付けられません。"),
    "unknown": _("この形式は受け付けられません（受け付ける形式：%(accepted)s）。"),
    "not_accepted": _("この形式（%(kind)s）は受け付けていません（受け付ける形式：%(accepted)s）。"),
    "corrupt": _("ファイルが壊れているか、形式が正しくありません。"),
    "polyglot": _(
        "画像やPDFの中に、別の種類のデータ（圧縮ファイルやプログラム）が含まれています。"
    ),
    "active_pdf": _(
        "スクリプト・埋め込みファイル・プログラムの起動を含むPDFは受け付けられません。"
    ),
    "too_many_pixels": _("画像の画素数が多すぎます。縮小してから送ってください。"),
    "dangerous_name": _("ファイル名の拡張子（%(extension)s）は受け付けられません。"),
}

# Extensions a computer would run or render as a page: refused even when the content is a
# harmless image, because the name shows an intent to disguise.
DANGEROUS_EXTENSIONS = frozenset(
    """
    exe com bat cmd scr pif msi msp dll cpl sys js jse vbs vbe wsf wsh ps1 psm1 sh bash zsh
    py pl rb php jar class apk app dmg pkg deb rpm elf bin run lnk hta htm html xhtml shtml
    svg svgz xml docm xlsm pptm dotm xltm iso img vhd vhdx reg inf scf url chm jnlp swf
    """.split()  # noqa: SIM905 - one word per extension reads better than 60 quoted items
)


class FileRejected(ValueError):
    """An upload was refused; the message names the file and the reason."""

    def __init__(self, name: str, reason: str, **params: Any) -> None:
        self.name = name
        self.reason = reason
        self.params = params
        super().__init__(f"{name}: {reason}")

    @property
    def message(self) -> str:
        detail = str(REASONS[self.reason]) % self.params
        return str(_("「%(name)s」：%(detail)s")) % {"name": self.name, "detail": detail}

    def messages(self) -> dict[str, str]:
        """The message in each language, for API error bodies and logs."""
        return in_every_language(lambda: self.message)


class FileInUse(RuntimeError):
    """The file is attached to something (listed in ``uses``) and cannot be deleted."""

    def __init__(self, uses: list[str]) -> None:
        super().__init__(", ".join(uses))
        self.uses = uses


# --- accepting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """An upload that passed every check: its safe name, real kind and bytes to store."""

    name: str
    kind: Kind
    data: bytes
    photo_cleaned: bool


def accepted_kinds() -> list[Kind]:
    return [KINDS[code] for code in settings.FILES_ACCEPTED_KINDS if code in KINDS]


def _accepted_label() -> str:
    return "・".join(kind.code.upper() for kind in accepted_kinds())


def sanitise_name(raw: str) -> str:
    """A name safe to show and to offer for download: no path, no control or bidi characters.

    Trailing dots and spaces go too (Windows ignores them, so ``a.exe.`` would run).
    """
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .\u3000")
    stem, dot, extension = name.rpartition(".")
    if dot and len(name) > MAX_NAME:
        name = stem[: MAX_NAME - len(extension) - 1] + "." + extension
    return name[:MAX_NAME] or "file"


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _named_for(name: str, kind: Kind) -> str:
    """The name with the extension of the real content (``scan.pdf`` holding PNG → ``scan.png``)."""
    extension = _extension(name)
    if extension in kind.extensions:
        return name
    stem = name[: -len(extension)] if extension else name
    return stem[: MAX_NAME - len(kind.extension)] + kind.extension


def inspect(raw_name: str, data: bytes) -> Inspection:
    """Check ``data`` uploaded as ``raw_name``; photos come back without their metadata."""
    name = sanitise_name(raw_name)
    extension = _extension(name)
    if extension[1:] in DANGEROUS_EXTENSIONS:
        raise FileRejected(name, "dangerous_name", extension=extension)
    limit = settings.FILES_UPLOAD_MAX_MB
    if len(data) > limit * MB:
        raise FileRejected(name, "too_large", limit=limit)
    try:
        kind = identify(data)
        if kind not in accepted_kinds():
            raise Unacceptable("not_accepted", kind=kind.code.upper())
        if kind.is_photo:
            data = photos.clean(kind.code, data)
    except Unacceptable as refusal:
        params = {"accepted": _accepted_label(), **refusal.params}
        raise FileRejected(name, refusal.reason, **params) from refusal
    return Inspection(_named_for(name, kind), kind, data, kind.is_photo)


def inspect_upload(uploaded: UploadedFile) -> Inspection:
    """``inspect`` for a Django upload, refusing an oversized one before reading it."""
    name = sanitise_name(uploaded.name or "")
    limit = settings.FILES_UPLOAD_MAX_MB
    if uploaded.size is not None and uploaded.size > limit * MB:
        raise FileRejected(name, "too_large", limit=limit)
    uploaded.seek(0)
    return inspect(uploaded.name or "", b"".join(uploaded.chunks()))


def check_total(uploads: Iterable[UploadedFile]) -> None:
    """Refuse a request whose files together exceed ``MUSUBI_UPLOAD_MAX_TOTAL_MB``."""
    uploads = list(uploads)
    limit = settings.FILES_UPLOAD_MAX_TOTAL_MB
    if sum(u.size or 0 for u in uploads) > limit * MB:
        names = "、".join(sanitise_name(u.name or "") for u in uploads)
        raise FileRejected(names, "total_too_large", limit=limit)


def store_upload(user: Any, uploaded: UploadedFile, purpose: str = "") -> StoredFile:
    """Check and keep one upload of ``user``; raises ``FileRejected`` and stores nothing then."""
    return _store(user, inspect_upload(uploaded), purpose)


def store_bytes(user: Any, name: str, data: bytes, purpose: str = "") -> StoredFile:
    """Check and keep bytes produced on the server for ``user`` (same checks as an upload)."""
    return _store(user, inspect(name, data), purpose)


def _store(user: Any, inspection: Inspection, purpose: str) -> StoredFile:
    storage = default_storage()
    key = storage.save(inspection.data)
    try:
        with transaction.atomic():
            return StoredFile.objects.create(
                owner=user,
                original_name=inspection.name,
                content_type=inspection.kind.content_type,
                kind=inspection.kind.code,
                size=len(inspection.data),
                sha256=hashlib.sha256(inspection.data).hexdigest(),
                storage_key=key,
                purpose=purpose[:100],
                photo_cleaned=inspection.photo_cleaned,
            )
    except BaseException:
        storage.delete(key)
        raise


def read_content(file: StoredFile) -> bytes:
    return default_storage().read(file.storage_key)


# --- reuse -----------------------------------------------------------------------------------


def files_of(
    user: Any, kinds: Iterable[str] | None = None, purpose: str | None = None
) -> QuerySet[StoredFile]:
    """``user``'s own files, newest first, optionally of some kinds (pdf, jpeg, png)."""
    files = StoredFile.objects.filter(owner=user)
    if kinds is not None:
        files = files.filter(kind__in=list(kinds))
    if purpose is not None:
        files = files.filter(purpose=purpose)
    return files


def owned_file(user: Any, file_id: Any) -> StoredFile:
    """One of ``user``'s files by id; ``StoredFile.DoesNotExist`` for anyone else's."""
    return StoredFile.objects.get(pk=file_id, owner=user)


# --- access ----------------------------------------------------------------------------------

Policy = Callable[[Any, StoredFile], bool]
_POLICIES: list[tuple[Policy, str]] = []


def register_policy(purpose: str) -> Callable[[Policy], Policy]:
    """Decorator: ``policy(user, file) -> bool`` may let staff read; ``purpose`` goes to audit."""

    def register(policy: Policy) -> Policy:
        _POLICIES.append((policy, purpose))
        return policy

    return register


def grant_access(
    file: StoredFile, *, permission_code: str, department: Any = None, reason: str
) -> FileGrant:
    """Let staff with ``permission_code`` (in ``department``, or any) read ``file``."""
    grant, _created = FileGrant.objects.get_or_create(
        file=file,
        permission=accounts.known(permission_code).code,
        department=department,
        defaults={"reason": reason[:200]},
    )
    return grant


@dataclass(frozen=True)
class Access:
    """Who may read: the owner, or staff for ``purpose`` (which the audit row records)."""

    as_staff: bool
    purpose: str = ""


def access_for(user: Any, file: StoredFile) -> Access | None:
    """How ``user`` may read ``file``, or None when they may not."""
    if not user.is_authenticated or not user.is_active:
        return None
    if file.owner_id == user.pk:
        return Access(as_staff=False)
    for grant in file.grants.all():
        departments = accounts.departments_granting(user, grant.permission)
        if departments and (grant.department_id is None or grant.department in departments):
            return Access(as_staff=True, purpose=grant.reason)
    for policy, purpose in _POLICIES:
        if policy(user, file):
            return Access(as_staff=True, purpose=str(purpose))
    return None


def can_read(user: Any, file: StoredFile) -> bool:
    return access_for(user, file) is not None


# --- deleting --------------------------------------------------------------------------------

Finder = Callable[[StoredFile], list[str]]
_FINDERS: list[Finder] = []


def register_references(finder: Finder) -> Finder:
    """Decorator: ``finder(file)`` names what uses the file; a used file cannot be deleted."""
    _FINDERS.append(finder)
    return finder


def references_to(file: StoredFile) -> list[str]:
    return [use for finder in _FINDERS for use in finder(file)]


def delete_file(user: Any, file: StoredFile) -> None:
    """Delete ``user``'s own ``file`` unless something uses it; the bytes go after commit."""
    if file.owner_id != user.pk:
        raise StoredFile.DoesNotExist
    uses = references_to(file)
    if uses:
        raise FileInUse(uses)
    key = file.storage_key
    with transaction.atomic():
        file.delete()
        transaction.on_commit(lambda: default_storage().delete(key))

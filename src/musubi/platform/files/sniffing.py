"""What a file really is, judged from its bytes: never from its name or the browser's word.

``identify`` returns the accepted kind (PDF, JPEG, PNG) or raises ``Unacceptable`` with a
reason code; ``services`` turns the code into a message that names the file. Dangerous
formats are recognised by their magic numbers so the message can say *why* (a program, an
archive, a web page) instead of a vague "unsupported".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A ZIP reader finds its end-of-central-directory record within the last 64 KiB + 22 bytes;
# an EOCD there means some program would open the file as an archive.
ZIP_EOCD = b"PK\x05\x06"
ZIP_SCAN = 65_535 + 22
PDF_EOF_WINDOW = 1024


class Unacceptable(ValueError):
    """The content is refused; ``reason`` is a key of ``services.REASONS``."""

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Kind:
    code: str
    content_type: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def is_photo(self) -> bool:
        return self.code in ("jpeg", "png")


KINDS: dict[str, Kind] = {
    "pdf": Kind("pdf", "application/pdf", (".pdf",)),
    "jpeg": Kind("jpeg", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "png": Kind("png", "image/png", (".png",)),
}

_DANGEROUS_STARTS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "executable"),  # Windows PE (.exe, .dll, .scr)
    (b"\x7fELF", "executable"),
    (b"\xfe\xed\xfa\xce", "executable"),  # Mach-O 32/64, both byte orders
    (b"\xfe\xed\xfa\xcf", "executable"),
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),  # Java class or universal Mach-O
    (b"\x00asm", "executable"),  # WebAssembly
    (b"#!", "script"),
    (b"PK\x03\x04", "archive"),  # ZIP, and so .docx/.xlsm/.jar/.apk
    (b"PK\x05\x06", "archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "archive"),  # OLE: .doc/.xls with macros, .msi
    (b"Rar!\x1a\x07", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
)
_MARKUP = re.compile(rb"<(\?xml|svg|!doctype|html|head|body|script|iframe)\b", re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def identify(data: bytes) -> Kind:
    """The accepted kind of ``data``, or ``Unacceptable`` saying what it is instead."""
    if not data:
        raise Unacceptable("empty")
    for magic, reason in _DANGEROUS_STARTS:
        if data.startswith(magic):
            raise Unacceptable(reason)
    if data.startswith(b"%PDF-"):
        check_pdf(data)
        return KINDS["pdf"]
    if data.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if _MARKUP.match(data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")):
        raise Unacceptable("markup")
    raise Unacceptable("unknown")


def check_pdf(data: bytes) -> None:
    """A whole PDF ends in ``%%EOF``; scripts, launch actions and embedded files are refused.

    Names may hide letters as ``#xx`` escapes (``/J#61vaScript``), so they are decoded
    first. Dictionaries inside compressed object streams are not inspected: this is a
    cheap screen, not a PDF parser.
    """
    end = data.rstrip(b"\x00 \t\r\n")
    if b"%%EOF" not in end[-PDF_EOF_WINDOW:]:
        raise Unacceptable("corrupt")
    if ZIP_EOCD in data[-ZIP_SCAN:] or dangerous_trailer(end[end.rfind(b"%%EOF") + 5 :]):
        raise Unacceptable("polyglot")
    decoded = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    if _PDF_ACTIVE.search(decoded):
        raise Unacceptable("active_pdf")


def dangerous_trailer(tail: bytes) -> bool:
    """Bytes after an image's or PDF's end that another program would run or unpack."""
    tail = tail.strip(b"\x00 \t\r\n")
    if not tail:
        return False
    if any(tail.startswith(magic) for magic, _reason in _DANGEROUS_STARTS):
        return True
    return ZIP_EOCD in tail or b"PK\x03\x04" in tail or bool(_MARKUP.search(tail[:4096]))

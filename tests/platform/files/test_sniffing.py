"""Content decides the type: renamed programs, archives, pages and polyglots are refused."""

from __future__ import annotations

import pytest

from musubi.platform.files import services
from musubi.platform.files.sniffing import KINDS

from .conftest import MINIMAL_PDF, jpeg_with_gps, png_with_text

PE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


def refusal(name: str, data: bytes) -> services.FileRejected:
    with pytest.raises(services.FileRejected) as caught:
        services.inspect(name, data)
    return caught.value


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("申請書.pdf", PE_HEADER, "executable"),
        ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "executable"),
        ("scan.png", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 40, "executable"),
        ("Main.pdf", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 40, "executable"),
        ("readme.pdf", b"#!/bin/sh\nrm -rf ~\n", "script"),
        ("report.pdf", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "archive"),
        ("old.pdf", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "archive"),
        ("page.pdf", b"\xef\xbb\xbf  <!DOCTYPE html><html><script>alert(1)</script>", "markup"),
        ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "markup"),
        ("notes.pdf", b"just some text", "unknown"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_content_not_name_decides(name, data, reason):
    assert refusal(name, data).reason == reason


def test_message_names_the_file_and_the_reason():
    message = refusal("住民票.pdf", PE_HEADER).message
    assert "住民票.pdf" in message
    assert "プログラム（実行ファイル）" in message


def test_dangerous_extension_refused_even_with_image_content():
    assert refusal("photo.jpg.exe", png_with_text()).reason == "dangerous_name"


def test_pdf_with_javascript_refused_even_when_obfuscated():
    hidden = MINIMAL_PDF.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript >>"
    )
    assert refusal("form.pdf", hidden).reason == "active_pdf"


def test_pdf_without_end_refused_as_corrupt():
    assert refusal("cut.pdf", MINIMAL_PDF[:40]).reason == "corrupt"


def test_pdf_with_zip_appended_is_a_polyglot():
    zip_tail = b"PK\x03\x04" + b"\x00" * 30 + b"PK\x05\x06" + b"\x00" * 18
    assert refusal("doc.pdf", MINIMAL_PDF + zip_tail).reason == "polyglot"


def test_jpeg_with_zip_appended_is_a_polyglot():
    zip_tail = b"PK\x03\x04" + b"\x00" * 30 + b"PK\x05\x06" + b"\x00" * 18
    assert refusal("photo.jpg", jpeg_with_gps() + zip_tail).reason == "polyglot"


def test_jpeg_with_program_appended_is_a_polyglot():
    assert refusal("photo.jpg", jpeg_with_gps() + PE_HEADER).reason == "polyglot"


def test_truncated_jpeg_refused():
    assert refusal("photo.jpg", jpeg_with_gps()[:200]).reason == "corrupt"


def test_png_with_broken_crc_refused():
    data = bytearray(png_with_text())
    data[20] ^= 0xFF  # inside IHDR
    assert refusal("scan.png", bytes(data)).reason == "corrupt"


def test_pdf_accepted_as_is():
    inspection = services.inspect("住民票の写し.pdf", MINIMAL_PDF)
    assert inspection.kind == KINDS["pdf"]
    assert inspection.data == MINIMAL_PDF
    assert inspection.name == "住民票の写し.pdf"


def test_mislabelled_image_accepted_under_its_real_type_and_extension():
    inspection = services.inspect("scan.pdf", png_with_text())
    assert inspection.kind == KINDS["png"]
    assert inspection.name == "scan.png"


def test_kind_outside_configured_list_refused(settings):
    settings.FILES_ACCEPTED_KINDS = ["pdf"]
    rejected = refusal("photo.png", png_with_text())
    assert rejected.reason == "not_accepted"
    assert "PNG" in rejected.message and "PDF" in rejected.message


def test_size_limit(settings):
    settings.FILES_UPLOAD_MAX_MB = 1
    big = MINIMAL_PDF[:-7] + b" " * (1024 * 1024) + b"%%EOF\n"
    rejected = refusal("big.pdf", big)
    assert rejected.reason == "too_large"
    assert "1 MB" in rejected.message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\hanako\\申請書.pdf", "申請書.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("photo.jpg. . ", "photo.jpg"),
        ("\x00\x07", "file"),
        ("ｶﾞ.pdf", "ｶﾞ.pdf"),
    ],
)
def test_names_are_sanitised(raw, clean):
    assert services.sanitise_name(raw) == clean


def test_long_names_keep_their_extension():
    name = services.sanitise_name("あ" * 400 + ".pdf")
    assert len(name) == services.MAX_NAME and name.endswith(".pdf")


def test_messages_in_every_language():
    both = refusal("a.pdf", b"").messages()
    assert set(both) == {"ja", "en"}
    assert "a.pdf" in both["ja"] and "a.pdf" in both["en"]

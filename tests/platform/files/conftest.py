"""Builders of real files (PDF, photos with EXIF GPS, programs) and a private storage root."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def jpeg_with_gps(orientation: int = 6, size: tuple[int, int] = (40, 20)) -> bytes:
    """A camera-like JPEG: GPS position of 駒ヶ根市役所, maker, orientation and a comment."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "KomaganeCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 43.0, 44.0), 3: "E", 4: (137.0, 56.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "35.7289,137.9339")
    info.add_itxt("Author", "駒ヶ根 花子")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    """An upload whose client-declared type is deliberately whatever the test says."""
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def resident(db, django_user_model):
    return django_user_model.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )


@pytest.fixture
def other_resident(db, django_user_model):
    return django_user_model.objects.create_user(
        username="taro@example.jp", email="taro@example.jp", password="long-enough-pass-1"
    )

"""Photos lose their location and other metadata; pixels and orientation survive."""

from __future__ import annotations

import io

from PIL import Image

from musubi.platform.files import services

from .conftest import GPS_IFD, MAKE, ORIENTATION, jpeg_with_gps, png_with_text, upload


def test_jpeg_gps_removed_orientation_kept(resident):
    original = jpeg_with_gps(orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo has GPS

    stored = services.store_upload(resident, upload("家の写真.jpg", original, "image/jpeg"))

    content = services.read_content(stored)
    exif = Image.open(io.BytesIO(content)).getexif()
    assert dict(exif) == {ORIENTATION: 6}
    assert not exif.get_ifd(GPS_IFD)
    assert MAKE not in exif
    assert b"KomaganeCam" not in content and b"taken at home" not in content
    assert stored.photo_cleaned is True
    assert stored.size == len(content) < len(original)


def test_jpeg_pixels_are_not_recompressed(resident):
    original = jpeg_with_gps(orientation=1, size=(64, 48))
    stored = services.store_upload(resident, upload("a.jpg", original, "image/jpeg"))
    before = Image.open(io.BytesIO(original))
    after = Image.open(io.BytesIO(services.read_content(stored)))
    assert after.size == before.size
    assert after.tobytes() == before.tobytes()
    assert not after.getexif()  # orientation 1 needs no EXIF at all


def test_png_text_chunks_removed(resident):
    original = png_with_text()
    assert b"tEXt" in original and b"iTXt" in original
    stored = services.store_upload(resident, upload("scan.png", original, "image/png"))
    content = services.read_content(stored)
    assert b"tEXt" not in content and b"iTXt" not in content and b"137.9339" not in content
    image = Image.open(io.BytesIO(content))
    assert image.size == (10, 10) and image.getpixel((0, 0)) == (0, 0, 255)


def test_png_orientation_kept_as_minimal_exif(resident):
    image = Image.new("RGB", (8, 4))
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    exif[MAKE] = "Phone"
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif)
    stored = services.store_upload(resident, upload("s.png", out.getvalue(), "image/png"))
    kept = Image.open(io.BytesIO(services.read_content(stored))).getexif()
    assert dict(kept) == {ORIENTATION: 8}


def test_camera_trailer_dropped_not_refused(resident):
    original = jpeg_with_gps() + b"SEFT vendor trailer data"
    stored = services.store_upload(resident, upload("p.jpg", original, "image/jpeg"))
    assert services.read_content(stored).endswith(b"\xff\xd9")

"""Removing what a photo says about where and when it was taken, without re-compressing it.

A JPEG is rewritten segment by segment: EXIF (GPS, camera serial, time), XMP, IPTC,
comments and multi-picture data go; the pixels are copied byte for byte. The Orientation
tag is the one piece of EXIF kept (as a fresh, minimal EXIF block) so a portrait photo
still shows upright. A PNG keeps only the chunks needed to draw it; text chunks and
``eXIf`` go, orientation again survives in a minimal ``eXIf``. Anything after the image's
end marker (camera trailers, appended archives) is dropped. The result is decoded once by
Pillow, so a file that only looks like an image is refused.
"""

from __future__ import annotations

import io
import warnings
import zlib

from PIL import Image, UnidentifiedImageError

from musubi.platform.files.sniffing import Unacceptable, dangerous_trailer

MAX_PIXELS = 60_000_000
ORIENTATION = 0x0112
EXIF_HEADER = b"Exif\x00\x00"

_SOS, _EOI, _COM = 0xDA, 0xD9, 0xFE
_APP0, _APP1, _APP2, _APP14 = 0xE0, 0xE1, 0xE2, 0xEE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
    b"sBIT", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip


def clean(code: str, data: bytes) -> bytes:
    """The photo ``data`` (kind ``code``: jpeg or png) without its privacy metadata."""
    orientation = _orientation(data)
    cleaned = clean_jpeg(data, orientation) if code == "jpeg" else clean_png(data, orientation)
    _decode(cleaned)
    return cleaned


def _orientation(data: bytes) -> int:
    image = _open(data)
    try:
        value = image.getexif().get(ORIENTATION, 1)
    except Exception:  # a broken EXIF block is dropped anyway; it must not refuse the photo
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise Unacceptable("corrupt") from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Unacceptable("too_many_pixels") from exc
    if image.width * image.height > MAX_PIXELS:
        raise Unacceptable("too_many_pixels")
    return image


def _decode(data: bytes) -> None:
    """Decode every pixel once: truncated or malformed image data is refused here."""
    image = _open(data)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        raise Unacceptable("corrupt") from exc


def _minimal_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


# --- JPEG ------------------------------------------------------------------------------------


def clean_jpeg(data: bytes, orientation: int) -> bytes:
    segments, end = jpeg_segments(data)
    if dangerous_trailer(data[end:]):
        raise Unacceptable("polyglot")
    kept = [data[start:stop] for marker, start, stop in segments if _keep_jpeg(marker, data, start)]
    if orientation != 1:
        app1 = _minimal_exif(orientation)
        segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
        at = 1 if segments and segments[0][0] == _APP0 else 0
        kept.insert(at, segment)
    return b"\xff\xd8" + b"".join(kept) + b"\xff\xd9"


def _keep_jpeg(marker: int, data: bytes, start: int) -> bool:
    """Keep what decoding and colour need: JFIF, ICC profile, Adobe colour transform."""
    if marker in (_APP0, _APP14):
        return True
    if marker == _APP2:
        return data[start + 4 : start + 16] == b"ICC_PROFILE\x00"
    return not (0xE1 <= marker <= 0xEF or marker == _COM)


def jpeg_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """``(marker, start, stop)`` of every segment after SOI, and the offset after EOI."""
    segments: list[tuple[int, int, int]] = []
    pos = 2
    while True:
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise Unacceptable("corrupt")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == _EOI:
            return segments, pos + 2
        stop = pos + 2 if marker in _STANDALONE else _segment_end(data, pos)
        if marker == _SOS:
            stop = _entropy_end(data, stop)
        segments.append((marker, pos, stop))
        pos = stop


def _segment_end(data: bytes, pos: int) -> int:
    length = int.from_bytes(data[pos + 2 : pos + 4], "big")
    stop = pos + 2 + length
    if length < 2 or stop > len(data):
        raise Unacceptable("corrupt")
    return stop


def _entropy_end(data: bytes, pos: int) -> int:
    """Where compressed scan data ends: the first 0xFF not followed by 00, a restart or fill."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise Unacceptable("corrupt")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos


# --- PNG -------------------------------------------------------------------------------------


def clean_png(data: bytes, orientation: int) -> bytes:
    chunks, end = png_chunks(data)
    if dangerous_trailer(data[end:]):
        raise Unacceptable("polyglot")
    kept = [data[start:stop] for kind, start, stop in chunks if kind in _PNG_KEPT]
    if orientation != 1:
        kept.insert(1, _png_chunk(b"eXIf", _minimal_exif(orientation)[len(EXIF_HEADER) :]))
    return _PNG_SIGNATURE + b"".join(kept)


def png_chunks(data: bytes) -> tuple[list[tuple[bytes, int, int]], int]:
    """``(type, start, stop)`` of every chunk with a correct CRC, and the offset after IEND."""
    chunks: list[tuple[bytes, int, int]] = []
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        stop = pos + 12 + length
        crc = int.from_bytes(data[stop - 4 : stop], "big") if stop <= len(data) else -1
        if stop > len(data) or zlib.crc32(data[pos + 4 : stop - 4]) != crc:
            raise Unacceptable("corrupt")
        if kind[:1].isupper() and kind not in _PNG_KEPT:
            raise Unacceptable("corrupt")
        chunks.append((kind, pos, stop))
        if kind == b"IEND":
            return chunks, stop
        pos = stop
    raise Unacceptable("corrupt")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc

"""Resident pages: public month and day without login, book, review, cancel, permit PDF."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from pypdf import PdfReader

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking, Status

from .conftest import TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


def test_month_says_free_places_in_words_without_login(client, room):
    page = client.get(reverse("bookings:month", args=[room.pk]) + "?month=2027-01")
    html = page.content.decode()
    assert page.status_code == 200
    assert "空き 4／4" in html  # a plain weekday
    assert "祝日休館" in html  # 1 January, 11 January
    assert '<th scope="col">' in html
    assert client.get(reverse("bookings:month", args=[room.pk]) + "?month=13").status_code == 404


def test_day_page_links_free_future_slots_only(client, room):
    services.book(services.Request(resource=room, start=at(TUESDAY, 12)), user=None)
    html = client.get(reverse("bookings:day", args=[room.pk, "2026-12-08"])).content.decode()
    assert html.count("この枠を予約") == 3
    assert "満" in html


def test_resident_reviews_books_sees_and_cancels(client, room, resident_user):
    client.force_login(resident_user)
    url = (
        reverse("bookings:review", args=[room.pk])
        + "?"
        + urlencode({"start": at(TUESDAY, 12).isoformat()})
    )
    review = client.get(url)
    assert "1000 円" in review.content.decode()
    done = client.post(
        url, {"start": at(TUESDAY, 12).isoformat(), "party_size": 8, "purpose": "会議"}
    )
    booking = Booking.objects.get()
    assert done.url == reverse("bookings:booking", args=[booking.pk])
    page = client.get(done.url).content.decode()
    assert "仮予約です" in page and booking.reference in page
    listing = client.get(reverse("bookings:mine")).content.decode()
    assert booking.reference in listing
    client.post(reverse("bookings:cancel", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED


def test_refused_booking_keeps_the_form_and_says_why(client, room, outsider):
    client.force_login(outsider)
    url = reverse("bookings:review", args=[room.pk])
    answer = client.post(url, {"start": at(TUESDAY, 10).isoformat(), "party_size": 3})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "区切り" in html and 'value="3"' in html
    assert Booking.objects.count() == 0


def test_permit_pdf_once_confirmed_and_only_for_the_holder(client, room, outsider, resident_user):
    booking = services.book(services.Request(resource=room, start=at(TUESDAY, 12)), user=outsider)
    client.force_login(outsider)
    url = reverse("bookings:permit", args=[booking.pk])
    assert client.get(url).status_code == 404  # provisional: not yet
    services.mark_paid(booking)
    pdf = client.get(url)
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(__import__("io").BytesIO(pdf.content)).pages[0].extract_text()
    assert booking.reference in text
    client.force_login(resident_user)
    assert client.get(url).status_code == 404


def test_booking_pages_need_login(client, room):
    url = (
        reverse("bookings:review", args=[room.pk])
        + "?"
        + urlencode({"start": at(TUESDAY, 12).isoformat()})
    )
    assert client.get(url).status_code == 302
    assert client.get(reverse("bookings:mine")).status_code == 302


def test_english_pages_show_no_japanese(client, room, outsider):
    room.name_en = "Meeting room"
    room.save()
    room.department.name_en = "Lifelong Learning"
    client.cookies["django_language"] = "en"
    for url in (
        reverse("bookings:resources"),
        reverse("bookings:month", args=[room.pk]) + "?month=2027-01",
        reverse("bookings:day", args=[room.pk, "2026-12-08"]),
    ):
        html = client.get(url).content.decode().replace("日本語", "")
        assert JAPANESE.findall(html) == [], url
    client.force_login(outsider)
    client.cookies["django_language"] = "en"
    booking = services.book(services.Request(resource=room, start=at(TUESDAY, 12)), user=outsider)
    for url in (reverse("bookings:mine"), reverse("bookings:booking", args=[booking.pk])):
        html = client.get(url).content.decode().replace("日本語", "")
        assert JAPANESE.findall(html) == [], url

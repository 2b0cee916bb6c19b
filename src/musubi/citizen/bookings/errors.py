"""Why a booking was refused, in the user's language (or every language, for the API)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from musubi.platform.languages import in_every_language


class BookingError(Exception):
    """Base: ``code`` for machines, ``field`` the input at fault, ``message`` for people."""

    code = "invalid"
    field = ""
    link = ""  # a page that helps (e.g. where to register), shown beside the message

    def __init__(self, text: Any, **params: Any) -> None:
        self.text = text  # a lazy gettext string, shown in whichever language is active
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(self.text) % self.params if self.params else str(self.text)

    def messages(self) -> dict[str, str]:
        return in_every_language(lambda: self.message)


class SlotTaken(BookingError):
    code = "already_taken"
    field = "start"


class NotBookable(BookingError):
    """Outside opening hours, a closed day or holiday, in the past, too soon, too far ahead."""

    code = "not_bookable"
    field = "start"


class QuotaExceeded(BookingError):
    code = "quota_exceeded"
    field = "start"


class NotEligible(BookingError):
    code = "not_eligible"
    field = ""


class RegistrationNeeded(NotEligible):
    """The resource takes bookings only from an approved 利用者登録: the refusal links to
    the registration page."""

    @property
    def link(self) -> str:
        return reverse("bookings:registration")


class BadParty(BookingError):
    code = "party_size"
    field = "party_size"


class NotAllowed(BookingError):
    """The booking is not in a state (or not the caller's) for this change."""

    code = "not_allowed"
    field = ""

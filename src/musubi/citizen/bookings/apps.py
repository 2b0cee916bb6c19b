from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "musubi.citizen.bookings"
    label = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from musubi.citizen.bookings import permissions, tasks  # noqa: F401 — registers

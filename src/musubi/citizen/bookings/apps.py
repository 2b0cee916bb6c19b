from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "musubi.citizen.bookings"
    label = "bookings"
    verbose_name = "Bookings"

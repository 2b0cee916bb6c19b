"""API routes of bookings, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.citizen.bookings import api

urlpatterns = [
    path("bookings/resources/", api.ResourceList.as_view(), name="booking-resource-list"),
    path(
        "bookings/resources/<int:pk>/availability/",
        api.ResourceAvailability.as_view(),
        name="booking-availability",
    ),
    path("bookings/", api.StaffBookings.as_view(), name="booking-list"),
    path("me/bookings/", api.MyBookings.as_view(), name="my-booking-list"),
    path("me/bookings/<int:pk>/cancel/", api.MyBookingCancel.as_view(), name="my-booking-cancel"),
]

"""API routes of bookings, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.citizen.bookings import api, checkup_api, group_api, lottery_api, review_api

urlpatterns = [
    path("bookings/resources/", api.ResourceList.as_view(), name="booking-resource-list"),
    path(
        "bookings/resources/<int:pk>/availability/",
        api.ResourceAvailability.as_view(),
        name="booking-availability",
    ),
    path("bookings/checkups/", checkup_api.ProgrammeList.as_view(), name="checkup-programmes"),
    path("bookings/", api.StaffBookings.as_view(), name="booking-list"),
    path("me/bookings/", api.MyBookings.as_view(), name="my-booking-list"),
    path("me/bookings/<int:pk>/cancel/", api.MyBookingCancel.as_view(), name="my-booking-cancel"),
    path(
        "me/bookings/<int:pk>/reschedule/",
        api.MyBookingReschedule.as_view(),
        name="my-booking-reschedule",
    ),
    path(
        "me/bookings/<int:pk>/confirm/", api.MyBookingConfirm.as_view(), name="my-booking-confirm"
    ),
    path("me/bookings/<int:pk>/pay/", api.MyBookingPayment.as_view(), name="my-booking-pay"),
    path("bookings/lotteries/", lottery_api.OpenLotteries.as_view(), name="booking-lotteries"),
    path(
        "bookings/lotteries/<int:pk>/results/",
        lottery_api.LotteryResults.as_view(),
        name="booking-lottery-results",
    ),
    path("me/lottery-entries/", lottery_api.MyLotteryEntries.as_view(), name="my-lottery-entries"),
    path("me/waitlist/", lottery_api.MyWaitlist.as_view(), name="my-waitlist"),
    path(
        "me/waitlist/<int:pk>/leave/",
        lottery_api.MyWaitlistLeave.as_view(),
        name="my-waitlist-leave",
    ),
    path("me/groups/", group_api.MyGroups.as_view(), name="my-groups"),
    path("me/registration/", review_api.MyRegistration.as_view(), name="my-registration"),
    path("bookings/groups/", review_api.StaffGroups.as_view(), name="booking-groups"),
    path(
        "bookings/groups/<int:pk>/decide/",
        review_api.StaffGroupDecide.as_view(),
        name="booking-group-decide",
    ),
    path(
        "bookings/registrations/",
        review_api.StaffRegistrations.as_view(),
        name="booking-registrations",
    ),
    path(
        "bookings/registrations/<int:pk>/decide/",
        review_api.StaffRegistrationDecide.as_view(),
        name="booking-registration-decide",
    ),
    path(
        "me/lottery-entries/<int:pk>/withdraw/",
        lottery_api.MyLotteryEntryWithdraw.as_view(),
        name="my-lottery-entry-withdraw",
    ),
    path(
        "me/checkups/eligibility/",
        checkup_api.MyEligibility.as_view(),
        name="my-checkup-eligibility",
    ),
    path(
        "me/checkups/applications/",
        checkup_api.MyApplications.as_view(),
        name="my-checkup-applications",
    ),
    path(
        "me/checkups/applications/<int:pk>/book/",
        checkup_api.MyApplicationBook.as_view(),
        name="my-checkup-book",
    ),
]

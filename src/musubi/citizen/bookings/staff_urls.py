"""Back-office pages of bookings, under /bookings/staff/ (all need ``bookings.manage``)."""

from django.urls import path

from musubi.citizen.bookings import checkup_views, staff_views

urlpatterns = [
    path("", staff_views.index, name="staff_index"),
    path("reports/", staff_views.reports, name="staff_reports"),
    path("groups/", staff_views.groups_to_review, name="staff_groups"),
    path("groups/<int:pk>/review/", staff_views.review_group, name="staff_review_group"),
    path("registrations/", staff_views.registrations_to_review, name="staff_registrations"),
    path(
        "registrations/<int:pk>/review/",
        staff_views.review_registration,
        name="staff_review_registration",
    ),
    path("checkups/", checkup_views.staff_index, name="staff_checkups"),
    path("checkups/<int:pk>/", checkup_views.staff_programme, name="staff_checkup"),
    path(
        "checkups/application/<int:pk>/book/",
        checkup_views.staff_book,
        name="staff_checkup_book",
    ),
    path("checkups/<int:pk>/notice/", checkup_views.staff_notice, name="staff_checkup_notice"),
    path("check-in/<str:token>/", staff_views.check_in, name="staff_check_in"),
    path("booking/<int:pk>/cancel/", staff_views.cancel, name="staff_cancel"),
    path("booking/<int:pk>/no-show/", staff_views.no_show, name="staff_no_show"),
    path("<int:pk>/", staff_views.day, name="staff_day"),
    path("<int:pk>/month/", staff_views.month, name="staff_month"),
    path("<int:pk>/book/", staff_views.book_for_caller, name="staff_book"),
    path("<int:pk>/block/", staff_views.block, name="staff_block"),
    path("<int:pk>/close/", staff_views.close_days, name="staff_close"),
    path("<int:pk>/queue/", staff_views.queue, name="staff_queue"),
    path("<int:pk>/lotteries/", staff_views.lotteries, name="staff_lotteries"),
    path("lottery/<int:pk>/draw/", staff_views.draw, name="staff_draw"),
]

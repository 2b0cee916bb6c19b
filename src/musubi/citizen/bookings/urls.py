"""Pages of bookings under /bookings/: public availability, a resident's bookings, staff."""

from django.urls import include, path

from musubi.citizen.bookings import checkup_views, views

app_name = "bookings"

urlpatterns = [
    path("", views.resources, name="resources"),
    path("<int:pk>/", views.month, name="month"),
    path("<int:pk>/day/<str:date>/", views.day, name="day"),
    path("<int:pk>/calendar.ics", views.ical, name="ical"),
    path("<int:pk>/book/", views.review, name="review"),
    path("<int:pk>/serving/", views.serving, name="serving"),
    path("mine/", views.mine, name="mine"),
    path("groups/", views.my_groups, name="groups"),
    path("registration/", views.registration, name="registration"),
    path("mine/lottery/<int:pk>/withdraw/", views.withdraw_entry, name="withdraw_entry"),
    path("mine/waitlist/<int:pk>/leave/", views.leave_waitlist, name="leave_waitlist"),
    path("mine/<int:pk>/", views.booking, name="booking"),
    path("mine/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("mine/<int:pk>/pay/", views.pay, name="pay"),
    path("mine/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("mine/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/waitlist/", views.join_waitlist, name="join_waitlist"),
    path("lottery/<int:pk>/", views.lottery_results, name="lottery"),
    path("lottery/<int:pk>/results.json", views.lottery_json, name="lottery_json"),
    path("lottery/<int:pk>/enter/", views.enter_lottery, name="enter_lottery"),
    path("mine/<int:pk>/permit.pdf", views.permit, name="permit"),
    path("checkups/", checkup_views.programme, name="checkups"),
    path("checkups/apply/", checkup_views.apply, name="checkup_apply"),
    path("checkups/<int:pk>/book/", checkup_views.book, name="checkup_book"),
    path("staff/", include("musubi.citizen.bookings.staff_urls")),
]

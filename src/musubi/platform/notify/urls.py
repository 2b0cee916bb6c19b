"""Pages of the hub under /notices/: the public notices and the staff back office."""

from django.urls import include, path

from musubi.platform.notify import public_views, staff_views

app_name = "notify"

urlpatterns = [
    path("", public_views.notices, name="notices"),
    path("<int:pk>/", public_views.notice, name="notice"),
    path("feed.atom", public_views.feed, name="feed"),
    path("ack/<str:token>/", public_views.acknowledge, name="ack"),
    path("staff/", staff_views.message_list, name="staff_messages"),
    path("staff/templates/new/", staff_views.template_new, name="staff_template_new"),
    path(
        "staff/templates/<slug:code>/edit/", staff_views.template_edit, name="staff_template_edit"
    ),
    path("staff/new/", staff_views.choose, name="staff_choose"),
    path("staff/new/<slug:code>/", staff_views.compose, name="staff_compose"),
    path("staff/<int:pk>/", staff_views.message_detail, name="staff_message"),
    path("staff/<int:pk>/approve/", staff_views.approve, name="staff_approve"),
    path("staff/<int:pk>/cancel/", staff_views.cancel, name="staff_cancel"),
    path("staff/<int:pk>/deliveries/", staff_views.deliveries, name="staff_deliveries"),
    path("staff/<int:pk>/paper/", staff_views.paper, name="staff_paper"),
    path("", include("musubi.platform.notify.channel_urls")),  # LINE webhook, LINE link, Web Push
]

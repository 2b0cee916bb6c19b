"""Pages of the 電子回覧板: residents (``/circulars/``), leaders (``lead/``), staff (``staff/``)."""

from django.urls import path

from musubi.community.circulars import manage_views as manage
from musubi.community.circulars import staff_views, views

app_name = "circulars"

MANAGED = [
    ("", manage.index, "index"),
    ("new/", manage.new, "new"),
    ("<int:pk>/", manage.detail, "detail"),
    ("<int:pk>/households.csv", manage.export_csv, "csv"),
    ("<int:pk>/print/", manage.printable, "print"),
    ("<int:pk>/paper/", manage.paper, "paper"),
    ("<int:pk>/paper/<int:household>/undo/", manage.undo_paper, "paper_undo"),
    ("<int:pk>/withdraw/", manage.withdraw, "withdraw"),
    ("<int:pk>/files/<uuid:file_id>/", manage.attachment, "file"),
]

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/files/<uuid:file_id>/", views.attachment, name="attachment"),
    path("staff/leaders/", staff_views.leaders_page, name="staff_leaders"),
    path("staff/leaders/<int:pk>/end/", staff_views.end_term, name="staff_leader_end"),
]
urlpatterns += [path(f"lead/{p}", manage.for_leaders(v), name=f"lead_{n}") for p, v, n in MANAGED]
urlpatterns += [path(f"staff/{p}", manage.for_staff(v), name=f"staff_{n}") for p, v, n in MANAGED]

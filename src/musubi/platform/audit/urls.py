from django.urls import path

from musubi.platform.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("export.csv", views.export_csv, name="export"),
    path("<int:pk>/", views.record_detail, name="detail"),
]

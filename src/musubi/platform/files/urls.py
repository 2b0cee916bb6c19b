from django.urls import path

from musubi.platform.files import views

app_name = "files"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:file_id>/", views.serve, name="serve"),
    path("<uuid:file_id>/delete/", views.delete, name="delete"),
]

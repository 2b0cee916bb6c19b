from django.urls import path

from musubi.platform.ui import views

app_name = "ui"
urlpatterns = [
    path("", views.home, name="home"),
    path("mypage/", views.mypage, name="mypage"),
    path("mypage/language/", views.preferred_language, name="preferred_language"),
    path("staff/", views.staff_dashboard, name="staff_dashboard"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("text-size/", views.text_size, name="text_size"),
]

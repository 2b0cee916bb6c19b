from django.urls import path

from musubi.platform.residents import views

app_name = "residents"
urlpatterns = [
    path("", views.search, name="search"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("export/", views.export, name="export"),
]

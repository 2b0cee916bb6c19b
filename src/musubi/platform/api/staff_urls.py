"""Staff pages for API tokens, mounted at /staff/api-tokens/."""

from django.urls import path

from musubi.platform.api import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.token_list, name="list"),
    path("new/", views.token_issue, name="issue"),
    path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
]

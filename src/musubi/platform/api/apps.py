from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "musubi.platform.api"
    label = "api"
    verbose_name = "API"

from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "musubi.platform.ui"
    label = "ui"

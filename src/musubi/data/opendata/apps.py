from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "musubi.data.opendata"
    label = "opendata"
    verbose_name = "Open data"

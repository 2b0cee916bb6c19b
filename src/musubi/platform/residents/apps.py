from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "musubi.platform.residents"
    label = "residents"

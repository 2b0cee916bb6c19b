from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "musubi.data.maps"
    label = "maps"
    verbose_name = "Maps"

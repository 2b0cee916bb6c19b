from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "musubi.platform.events"
    label = "events"
    verbose_name = "Domain events"

from django.apps import AppConfig


class CircularsConfig(AppConfig):
    name = "musubi.community.circulars"
    label = "circulars"
    verbose_name = "Circulars"

    def ready(self) -> None:
        from musubi.community.circulars import (  # noqa: F401 — registers
            notifications,
            permissions,
        )

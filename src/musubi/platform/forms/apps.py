from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "musubi.platform.forms"
    label = "forms"
    verbose_name = "Forms"

    def ready(self) -> None:
        from musubi.platform.forms import permissions, registry_source  # noqa: F401 — registers

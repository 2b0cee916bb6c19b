from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "musubi.citizen.procedures"
    label = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from musubi.citizen.procedures import (  # noqa: F401 — registers
            hooks,
            permissions,
            prefill,
        )

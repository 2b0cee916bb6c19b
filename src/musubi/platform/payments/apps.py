from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "musubi.platform.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from musubi.platform.payments import permissions, services  # noqa: F401 — registers
        from musubi.platform.payments.providers import demo  # noqa: F401 — registers

from importlib import import_module

from django.apps import AppConfig

OWN_CHANNELS = ("email", "onsite", "paper")
# written by another engineer in parallel; imported when present
OTHER_CHANNELS = ("line", "sms", "webpush")


class NotifyConfig(AppConfig):
    name = "musubi.platform.notify"
    label = "notify"
    verbose_name = "Notification hub"

    def ready(self) -> None:
        """Register every channel plugin (a channel module registers itself when imported)."""
        for code in OWN_CHANNELS:
            import_module(f"{self.name}.channels.{code}")
        for code in OTHER_CHANNELS:
            module = f"{self.name}.channels.{code}"
            try:
                import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise

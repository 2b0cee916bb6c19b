from importlib import import_module

from django.apps import AppConfig, apps


class AccountsConfig(AppConfig):
    name = "musubi.platform.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        """Import every app's ``permissions`` module so each declares its permissions."""
        for config in apps.get_app_configs():
            if config.name.startswith("musubi."):
                try:
                    import_module(f"{config.name}.permissions")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.permissions":
                        raise

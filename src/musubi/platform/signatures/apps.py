from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "musubi.platform.signatures"
    label = "signatures"
    verbose_name = "Signatures"

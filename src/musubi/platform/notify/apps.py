from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "musubi.platform.notify"
    label = "notify"
    verbose_name = "Notification hub"

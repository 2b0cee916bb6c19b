from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "musubi.platform.files"
    label = "files"
    verbose_name = "Files"

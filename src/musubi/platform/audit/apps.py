from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "musubi.platform.audit"
    label = "audit"
    verbose_name = "Audit trail"

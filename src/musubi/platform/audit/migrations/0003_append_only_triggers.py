"""Database triggers that reject UPDATE and DELETE on audit records (SQLite and PostgreSQL)."""

from django.db import migrations

from musubi.platform.audit import guard


def install(apps, schema_editor):
    guard.install(schema_editor.connection)


def remove(apps, schema_editor):
    guard.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chainverification_alter_auditrecord_request_id"),
    ]

    operations = [migrations.RunPython(install, remove)]

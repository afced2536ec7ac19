"""Permissions given to the seeded roles by data migrations, in one shape for every app.

    operations = [grant_to_roles({"marketing": ["leads.assign"]})]

Kept apart from the models on purpose: migrations import it, so it must stay small and
never depend on the current models (it uses the migration's historical Role).
"""

from django.db import migrations


def grant_to_roles(grants: dict[str, list[str]]) -> migrations.RunPython:
    def grant(apps, schema_editor):
        for role in apps.get_model("accounts", "Role").objects.filter(code__in=grants):
            role.permissions = sorted(set(role.permissions) | set(grants[role.code]))
            role.save(update_fields=["permissions"])

    def revoke(apps, schema_editor):
        for role in apps.get_model("accounts", "Role").objects.filter(code__in=grants):
            role.permissions = [p for p in role.permissions if p not in grants[role.code]]
            role.save(update_fields=["permissions"])

    return migrations.RunPython(grant, revoke)

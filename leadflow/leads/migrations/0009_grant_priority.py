"""Who may set a lead's priority against its grade (LEAD-SCR-3)."""

from django.db import migrations

GRANTS = {"marketing": ["leads.priority"], "sales_manager": ["leads.priority"]}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = sorted(set(role.permissions) | set(permissions))
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            role.permissions = [p for p in role.permissions if p not in permissions]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_seed_score_rules")]
    operations = [migrations.RunPython(grant, revoke)]

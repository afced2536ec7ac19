"""Give the seeded roles their leads permissions (LEAD-CAP-2, LEAD-CLN-4)."""

from django.db import migrations

GRANTS = {
    "marketing": ["leads.create", "leads.import", "leads.configure"],
    "sales_rep": ["leads.create"],
    "sales_manager": ["leads.create", "leads.import"],
    "sales_support": ["leads.create", "leads.verify", "leads.import"],
}


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
    dependencies = [("leads", "0003_seed_channels_and_rules"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(grant, revoke)]

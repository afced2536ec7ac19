"""Sales targets are approved by management before they count (MKT-4)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


def seed(apps, schema_editor):
    Flow = apps.get_model("approvals", "Flow")
    flow, created = Flow.objects.get_or_create(kind="sales_target", defaults={"name": "年度销售目标"})
    if created:
        apps.get_model("approvals", "FlowStep").objects.create(
            flow=flow,
            position=1,
            name="管理层审批",
            approver="role",
            role=apps.get_model("accounts", "Role").objects.filter(code="management").first(),
            mode="any",
            deadline_hours=16,
        )


def unseed(apps, schema_editor):
    apps.get_model("approvals", "Flow").objects.filter(
        kind="sales_target", requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_sales_targets"), ("approvals", "0002_seed_flows")]

    operations = [
        migrations.RunPython(seed, unseed),
        grant_to_roles({"management": ["sales.targets"], "sales_manager": ["sales.targets"]}),
    ]

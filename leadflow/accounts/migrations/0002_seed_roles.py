"""Seed the nine roles of the policies (SPEC users list, SEC-1) with their data scopes."""

from django.db import migrations

ROLES = [
    ("admin", "系统管理员", "Administrator", "all", ["*"]),
    ("marketing", "市场部专员", "Marketing", "all", ["data.export"]),
    ("sales_rep", "销售代表", "Sales rep", "own", []),
    ("sales_manager", "销售经理", "Sales manager", "department", ["data.export"]),
    ("sales_support", "销售支持专员", "Sales support", "all", []),
    ("customer_service", "客服专员", "Customer service", "all", []),
    ("legal", "法务", "Legal", "all", []),
    ("finance", "财务", "Finance", "all", ["data.export"]),
    ("management", "管理层", "Management", "all", ["data.export", "audit.view"]),
]


def seed_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name, name_en, scope, permissions in ROLES:
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "scope": scope,
                      "permissions": permissions, "is_system": True},
        )


def remove_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Role.objects.filter(code__in=[code for code, *_ in ROLES], users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed_roles, remove_roles)]

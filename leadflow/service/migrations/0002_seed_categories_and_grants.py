"""The seeds' ticket categories and root causes as editable data, and the service rights:
customer service takes tickets in and keeps the analysis; management keeps it too."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles

CATEGORIES = ["产品质量", "服务态度", "交付物流", "账单费用", "其他"]
ROOT_CAUSES = ["产品缺陷", "操作失误", "流程缺失", "沟通不到位", "供应商原因", "客户误解", "其他"]


def seed(apps, schema_editor):
    for model, names in (("TicketCategory", CATEGORIES), ("RootCause", ROOT_CAUSES)):
        Model = apps.get_model("service", model)
        for position, name in enumerate(names):
            Model.objects.get_or_create(name=name, defaults={"position": position})


def unseed(apps, schema_editor):
    apps.get_model("service", "TicketCategory").objects.filter(name__in=CATEGORIES).delete()
    apps.get_model("service", "RootCause").objects.filter(name__in=ROOT_CAUSES).delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_tickets_surveys_clocks"), ("accounts", "0002_seed_roles")]

    operations = [
        migrations.RunPython(seed, unseed),
        grant_to_roles(
            {
                "customer_service": ["service.desk", "service.manage"],
                "management": ["service.manage"],
            }
        ),
    ]

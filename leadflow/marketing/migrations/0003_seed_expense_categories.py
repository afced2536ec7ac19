"""The expense categories of the policy (营销作业管理制度 §八) and who may plan campaigns,
keep the budget and reimburse claims (MKT-2, MKT-6)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles

CATEGORIES = [
    ("promotion", "市场推广费"),
    ("sales", "销售费用"),
    ("service", "客户服务费"),
    ("travel", "差旅费"),
    ("events", "会展费"),
    ("advertising", "广告费"),
]


def seed(apps, schema_editor):
    ExpenseCategory = apps.get_model("marketing", "ExpenseCategory")
    for code, name in CATEGORIES:
        ExpenseCategory.objects.get_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("marketing", "ExpenseCategory").objects.filter(
        code__in=[code for code, _ in CATEGORIES], claims__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("marketing", "0002_campaign_plan_budgets_claims")]

    operations = [
        migrations.RunPython(seed, unseed),
        grant_to_roles(
            {
                "marketing": ["marketing.campaigns", "marketing.budget"],
                "management": ["marketing.campaigns", "marketing.budget"],
                "finance": ["marketing.reimburse", "marketing.budget"],
            }
        ),
    ]

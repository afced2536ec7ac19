"""The default scoring scheme (MKT-7): sales, receipts and new customers against each rep's
monthly targets, first-contact timeliness and follow-ups against fixed figures."""

from django.db import migrations

SCHEME = [
    ("sales", "签约额", 40, "targets", 0),
    ("received", "回款额", 20, "targets", 0),
    ("new_customers", "新客户", 10, "targets", 0),
    ("first_contact", "首次联系及时率（%）", 15, "fixed", 100),
    ("followups", "跟进次数", 15, "fixed", 40),
]


def seed(apps, schema_editor):
    Measure = apps.get_model("analytics", "PerformanceMeasure")
    for code, name, weight, target_from, target in SCHEME:
        Measure.objects.get_or_create(
            code=code,
            defaults={"name": name, "weight": weight, "target_from": target_from, "target": target},
        )


def unseed(apps, schema_editor):
    apps.get_model("analytics", "PerformanceMeasure").objects.filter(
        code__in=[code for code, *_ in SCHEME]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_staff_performance")]

    operations = [migrations.RunPython(seed, unseed)]

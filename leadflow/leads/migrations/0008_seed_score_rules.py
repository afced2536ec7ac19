"""Seed the score rules of LEAD-SCR-1 (the lead management guide's defaults)."""

from django.db import migrations

# name, dimension, field, operator, value, event, times, points
RULES = [
    ("下载核心资料", "behaviour", "", "", "", "downloaded_material", 1, 10),
    ("研讨会提问", "interaction", "", "", "", "webinar_question", 1, 15),
    ("目标行业", "fit", "industry", "one_of", "制造业,医疗,金融,能源,汽车", "", 1, 20),
    ("企业规模 500 人以上", "fit", "employees", "at_least", "500", "", 1, 10),
    ("打开营销邮件 3 次以上", "interaction", "", "", "", "email_opened", 3, 5),
    ("咨询销售代表", "interaction", "", "", "", "consulted_sales", 1, 20),
]


def seed(apps, schema_editor):
    ScoreRule = apps.get_model("leads", "ScoreRule")
    for name, dimension, field, operator, value, event, times, points in RULES:
        ScoreRule.objects.get_or_create(
            name=name,
            defaults={
                "dimension": dimension,
                "field": field,
                "operator": operator,
                "value": value,
                "event": event,
                "min_count": times,
                "points": points,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("leads", "ScoreRule").objects.filter(
        name__in=[rule[0] for rule in RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_scoring")]
    operations = [migrations.RunPython(seed, unseed)]

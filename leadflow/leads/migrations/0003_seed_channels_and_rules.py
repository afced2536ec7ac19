"""Seed the twelve channels of LEAD-CAP-1 and the default non-target rules of LEAD-CLN-3."""

from django.db import migrations

CHANNELS = [
    ("G", "官网", "online"),
    ("S", "搜索引擎推广", "online"),
    ("M", "社交媒体", "online"),
    ("E", "邮件营销", "online"),
    ("P", "行业平台", "online"),
    ("Z", "展会", "offline"),
    ("H", "研讨会", "offline"),
    ("T", "客户推荐", "offline"),
    ("R", "合作伙伴转介绍", "offline"),
    ("D", "电话营销", "offline"),
    ("B", "陌生拜访", "offline"),
    ("A", "市场活动", "offline"),
]
RULES = [
    ("industry", "equals", "学生", "学生，非目标客户"),
    ("industry", "equals", "求职", "求职者，非目标客户"),
    ("need", "contains", "招聘", "需求为招聘，非销售线索"),
    ("need", "contains", "求职", "需求为求职，非销售线索"),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("leads", "Channel")
    NonTargetRule = apps.get_model("leads", "NonTargetRule")
    for code, name, kind in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for field, match, value, reason in RULES:
        NonTargetRule.objects.get_or_create(
            field=field, match=match, value=value, defaults={"reason": reason}
        )


def unseed(apps, schema_editor):
    apps.get_model("leads", "NonTargetRule").objects.filter(
        value__in=[value for _, _, value, _ in RULES]
    ).delete()
    apps.get_model("leads", "Channel").objects.filter(
        code__in=[code for code, _, _ in CHANNELS], leads__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]

"""The research plan is reviewed by the marketing head and approved by management; the
research report is submitted to management (MKT-3)."""

from django.db import migrations

FLOWS = [
    (
        "research_plan",
        "市场调研计划",
        [("市场部负责人审核", "requester_head", ""), ("管理层审批", "role", "management")],
    ),
    ("research_report", "市场调研报告", [("管理层审阅", "role", "management")]),
]


def seed(apps, schema_editor):
    Flow = apps.get_model("approvals", "Flow")
    FlowStep = apps.get_model("approvals", "FlowStep")
    Role = apps.get_model("accounts", "Role")
    for kind, name, steps in FLOWS:
        flow, created = Flow.objects.get_or_create(kind=kind, defaults={"name": name})
        if not created:
            continue
        for position, (step, approver, role) in enumerate(steps, start=1):
            FlowStep.objects.create(
                flow=flow,
                position=position,
                name=step,
                approver=approver,
                role=Role.objects.filter(code=role).first() if role else None,
                mode="any",
                deadline_hours=16,
            )


def unseed(apps, schema_editor):
    apps.get_model("approvals", "Flow").objects.filter(
        kind__in=[kind for kind, *_ in FLOWS], requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0005_market_research"),
        ("approvals", "0002_seed_flows"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

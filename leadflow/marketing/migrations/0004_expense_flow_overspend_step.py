"""A claim that would overspend its category's budget also needs management (MKT-6): a
step of the seeded expense-claim flow, before finance, that applies only then."""

from django.db import migrations


def add_step(apps, schema_editor):
    Flow = apps.get_model("approvals", "Flow")
    FlowStep = apps.get_model("approvals", "FlowStep")
    flow = Flow.objects.filter(kind="expense_claim").first()
    if flow is None or flow.steps.filter(condition_field="over_budget").exists():
        return
    finance = flow.steps.filter(name="财务审核").first()
    position = finance.position if finance else flow.steps.count() + 1
    for later in flow.steps.filter(position__gte=position).order_by("-position"):
        later.position += 1
        later.save(update_fields=["position"])
    FlowStep.objects.create(
        flow=flow,
        position=position,
        name="超预算审批",
        approver="role",
        role=apps.get_model("accounts", "Role").objects.filter(code="management").first(),
        mode="any",
        condition_field="over_budget",
        condition_operator="eq",
        condition_value="yes",
        deadline_hours=16,
    )


def remove_step(apps, schema_editor):
    FlowStep = apps.get_model("approvals", "FlowStep")
    for step in FlowStep.objects.filter(flow__kind="expense_claim", condition_field="over_budget"):
        flow, position = step.flow, step.position
        step.delete()
        for later in flow.steps.filter(position__gt=position).order_by("position"):
            later.position -= 1
            later.save(update_fields=["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_seed_expense_categories"),
        ("approvals", "0002_seed_flows"),
    ]

    operations = [migrations.RunPython(add_step, remove_step)]

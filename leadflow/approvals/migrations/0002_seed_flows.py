"""The policies' approval flows as editable defaults (MKT-2, MKT-5, MKT-6, LEAD-ASN-6, SEC-4):
who reviews and approves each kind of request, in order."""

from django.db import migrations

# kind, flow name, [(step, approver, role code | permission, mode, condition, hours)]
FLOWS = [
    ("lead_reassign", "线索调整申请", [("市场部审批", "permission", "leads.assign", "any", None, 8)]),
    ("customer_access", "客户查阅申请", [("上级审批", "permission", "customers.grant", "any", None, 8)]),
    (
        "campaign_plan",
        "营销活动方案",
        [
            ("市场部负责人审核", "requester_head", "", "any", None, 16),
            ("管理层审批", "role", "management", "any", None, 16),
        ],
    ),
    (
        "contract",
        "合同审批",
        [
            ("法务审核", "role", "legal", "any", None, 16),
            ("管理层审批", "role", "management", "any", None, 16),
        ],
    ),
    (
        "contract_change",
        "合同变更审批",
        [
            ("法务审核", "role", "legal", "any", None, 16),
            ("管理层审批", "role", "management", "any", None, 16),
        ],
    ),
    (
        "contract_termination",
        "合同终止审批",
        [
            ("法务审核", "role", "legal", "any", None, 16),
            ("管理层审批", "role", "management", "any", None, 16),
        ],
    ),
    (
        "expense_claim",
        "费用报销",
        [
            ("部门负责人审批", "requester_head", "", "any", None, 16),
            ("总经理审批", "role", "management", "any", ("amount", "gt", "5000"), 16),
            ("财务审核", "role", "finance", "any", None, 16),
        ],
    ),
    ("budget", "年度营销预算", [("管理层审批", "role", "management", "all", None, 40)]),
]


def seed(apps, schema_editor):
    Flow = apps.get_model("approvals", "Flow")
    FlowStep = apps.get_model("approvals", "FlowStep")
    Role = apps.get_model("accounts", "Role")
    for kind, name, steps in FLOWS:
        flow, created = Flow.objects.get_or_create(kind=kind, defaults={"name": name})
        if not created:
            continue
        for position, (step, approver, target, mode, condition, hours) in enumerate(steps, 1):
            field, operator, value = condition or ("", "", "")
            FlowStep.objects.create(
                flow=flow,
                position=position,
                name=step,
                approver=approver,
                role=Role.objects.filter(code=target).first() if approver == "role" else None,
                permission=target if approver == "permission" else "",
                mode=mode,
                condition_field=field,
                condition_operator=operator,
                condition_value=value,
                deadline_hours=hours,
            )


def unseed(apps, schema_editor):
    apps.get_model("approvals", "Flow").objects.filter(
        kind__in=[kind for kind, *_ in FLOWS], requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("accounts", "0003_lead_scope_and_masked_customers"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

"""Access requests move onto the approval engine (SEC-4): every request, with its
decision and the share it became, is an approval request of kind customer_access; the
old table goes. The reverse writes them back."""

from django.db import migrations

from leadflow.approvals.carry_over import carried_back, carry_requests


def forward(apps, schema_editor):
    AccessRequest = apps.get_model("customers", "AccessRequest")
    rows = [
        {
            "subject_id": request.customer_id,
            "requester_id": request.requester_id,
            "reason": request.reason,
            "state": request.state,
            "at": request.at,
            "decided_by_id": request.decided_by_id,
            "decided_at": request.decided_at,
            "note": "",
            "title": f"查阅客户 {request.customer.name}",
            "snapshot": {"customer": request.customer.name, "days": 7},
            "outcome": (
                {"share_id": request.share_id, "until": request.share.until.isoformat()}
                if request.share_id
                else {}
            ),
        }
        for request in AccessRequest.objects.select_related("customer", "share").order_by(
            "at", "id"
        )
    ]
    carry_requests(
        apps,
        kind="customer_access",
        subject=("customers", "customer"),
        permission="customers.grant",
        rows=rows,
    )


def backward(apps, schema_editor):
    AccessRequest = apps.get_model("customers", "AccessRequest")
    for request, task in carried_back(apps, "customer_access"):
        AccessRequest.objects.create(
            customer_id=request.subject_id,
            requester_id=request.requester_id,
            reason=request.reason[:200],
            state=request.state if request.state in ("approved", "rejected") else "pending",
            at=request.created_at,
            decided_by_id=task.decided_by_id if task else None,
            decided_at=task.decided_at if task else None,
            share_id=(request.outcome or {}).get("share_id"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_seal_event_history"),
        ("approvals", "0002_seed_flows"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="AccessRequest"),
    ]

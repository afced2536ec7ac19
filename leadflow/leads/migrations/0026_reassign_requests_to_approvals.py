"""Reassignment requests move onto the approval engine (LEAD-ASN-6): every request, with
its decision and note, becomes an approval request of kind lead_reassign; the old table
goes. The reverse writes them back."""

from django.db import migrations

from leadflow.approvals.carry_over import carried_back, carry_requests


def forward(apps, schema_editor):
    ReassignRequest = apps.get_model("leads", "ReassignRequest")
    rows = [
        {
            "subject_id": request.lead_id,
            "requester_id": request.rep_id,
            "reason": request.reason,
            "state": request.state,
            "at": request.at,
            "decided_by_id": request.decided_by_id,
            "decided_at": request.decided_at,
            "note": request.decision_note,
            "title": f"线索调整 {request.lead.number} {request.lead.name}",
            "snapshot": {"lead": request.lead.number, "name": request.lead.name},
            "outcome": {},
        }
        for request in ReassignRequest.objects.select_related("lead").order_by("at", "id")
    ]
    carry_requests(
        apps, kind="lead_reassign", subject=("leads", "lead"), permission="leads.assign", rows=rows
    )


def backward(apps, schema_editor):
    ReassignRequest = apps.get_model("leads", "ReassignRequest")
    for request, task in carried_back(apps, "lead_reassign"):
        ReassignRequest.objects.create(
            lead_id=request.subject_id,
            rep_id=request.requester_id,
            reason=request.reason[:200],
            state=request.state if request.state in ("approved", "rejected") else "pending",
            at=request.created_at,
            decided_by_id=task.decided_by_id if task else None,
            decided_at=task.decided_at if task else None,
            decision_note=(task.comment if task else "")[:200],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0025_encrypt_personal_data"),
        ("approvals", "0002_seed_flows"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="ReassignRequest"),
    ]

"""Requests kept in an area's own table before the engine existed, carried onto it by
that area's data migration (leads' reassignment requests, customers' access requests),
with their decisions and history; nothing is lost.

Migrations import this, so it uses only the historical models the migration hands it.
"""

from datetime import timedelta

STATES = {"pending": "pending", "approved": "approved", "rejected": "rejected"}


def carry_requests(apps, *, kind: str, subject: tuple[str, str], permission: str, rows) -> None:
    """`rows`: dicts of subject_id, requester_id, reason, state, at, decided_by_id,
    decided_at, note, title, snapshot, outcome."""
    Flow = apps.get_model("approvals", "Flow")
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    ApprovalTask = apps.get_model("approvals", "ApprovalTask")
    ApprovalEvent = apps.get_model("approvals", "ApprovalEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    User = apps.get_model("accounts", "User")
    flow = Flow.objects.get(kind=kind)
    step = flow.steps.order_by("position").first()
    plan = [
        {
            "step": step.pk,
            "name": step.name,
            "mode": step.mode,
            "deadline_hours": step.deadline_hours,
        }
    ]
    subject_type, _ = ContentType.objects.get_or_create(app_label=subject[0], model=subject[1])
    holders = [
        user
        for user in User.objects.filter(is_active=True).select_related("role")
        if user.role_id and permission in user.role.permissions
    ]
    for row in rows:
        state = STATES[row["state"]]
        closed = row["decided_at"] if state != "pending" else None
        request = ApprovalRequest.objects.create(
            flow=flow,
            kind=kind,
            subject_type=subject_type,
            subject_id=row["subject_id"],
            title=row["title"][:200],
            requester_id=row["requester_id"],
            reason=row["reason"],
            snapshot=row["snapshot"],
            state=state,
            plan=plan,
            outcome=row["outcome"],
            created_at=row["at"],
            updated_at=row["decided_at"] or row["at"],
            closed_at=closed,
        )
        ApprovalEvent.objects.create(
            request=request,
            at=row["at"],
            actor_id=row["requester_id"],
            kind="submitted",
            comment=row["reason"],
            data={"round": 1, "steps": [step.name], "carried_over": True},
        )
        due = row["at"] + timedelta(hours=step.deadline_hours)
        if state == "pending":
            for user in holders:
                if user.pk != row["requester_id"]:
                    ApprovalTask.objects.create(
                        request=request,
                        round=1,
                        step_index=0,
                        approver=user,
                        due_at=due,
                        created_at=row["at"],
                    )
            continue
        decider = row["decided_by_id"]
        if decider is not None:
            ApprovalTask.objects.create(
                request=request,
                round=1,
                step_index=0,
                approver_id=decider,
                state=state,
                due_at=due,
                decided_by_id=decider,
                decided_at=row["decided_at"],
                comment=row["note"][:500],
                created_at=row["at"],
            )
        ApprovalEvent.objects.create(
            request=request,
            at=row["decided_at"] or row["at"],
            actor_id=decider,
            kind=state,
            comment=row["note"][:500],
            data={"step": step.name},
        )
        if state == "approved":
            ApprovalEvent.objects.create(
                request=request,
                at=row["decided_at"] or row["at"],
                kind="completed",
                data={"outcome": row["outcome"]},
            )


def carried_back(apps, kind: str) -> list:
    """The requests of `kind`, oldest first, each with its deciding task (or None), removed
    from the engine: for a migration's reverse, which writes them back to its own table."""
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    requests = list(ApprovalRequest.objects.filter(kind=kind).order_by("created_at", "id"))
    found = [
        (request, request.tasks.exclude(decided_at=None).order_by("-decided_at").first())
        for request in requests
    ]
    ApprovalRequest.objects.filter(kind=kind).delete()
    return found

"""Campaigns (营销活动, MKT-2): a plan, reviewed by the department head and approved by
management through the approvals engine (kind campaign_plan), then run, ended and
evaluated against its targets. The state only moves as the table below allows; any other
move is refused with the rule it breaks.

    draft ─submit→ in review ─(head)→ awaiting approval ─(management)→ approved
    returned ←(return)─ …; returned ─resubmit→ in review; rejected → cancelled
    approved ─start→ running ─end→ ended ─evaluate→ evaluated (read-only)
    draft / returned / approved ─cancel→ cancelled
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Department, User
from leadflow.accounts.scope import scope_filter
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.spreadsheets import read_table
from leadflow.core.storable import check_storable
from leadflow.core.sweeps import sweep
from leadflow.notify.delivery import Message, notify

from .evaluation import campaign_figures
from .events import campaign_event_record
from .models import Campaign, CampaignBudgetLine, CampaignTask, ExpenseCategory
from .permissions import MARKETING_CAMPAIGNS

State = Campaign.State
KIND = "campaign_plan"
EDITABLE = (State.DRAFT, State.RETURNED)
TEXT_FIELDS = (
    "name",
    "theme",
    "content",
    "strategy_product",
    "strategy_price",
    "strategy_channel",
    "strategy_promotion",
    "place",
)
COUNT_FIELDS = ("planned_audience", "target_participants", "target_leads", "target_a_leads")


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    """The campaigns a user sees: by their data scope over the owner, and those they staff
    or hold a task of."""
    sight = scope_filter(user, owner_field="owner")
    involved = Q(staff=user) | Q(tasks__assignee=user)
    ids = Campaign.objects.filter(sight | involved).values("id") if sight else None
    campaigns = Campaign.objects.all() if ids is None else Campaign.objects.filter(id__in=ids)
    return campaigns.select_related("owner", "department", "channel")


def may_manage(user, campaign: Campaign) -> bool:
    """The owner, or whoever plans campaigns and sees this one."""
    if campaign.owner_id == user.pk:
        return True
    return user.has_permission(MARKETING_CAMPAIGNS) and (
        campaigns_visible_to(user).filter(pk=campaign.pk).exists()
    )


def _manager(user, campaign: Campaign) -> None:
    if not may_manage(user, campaign):
        raise Forbidden(gettext("Only the campaign's owner or marketing manages it."))


def _moved(campaign: Campaign, allowed: Iterable[str], action: str) -> None:
    if campaign.state not in allowed:
        raise Conflict(
            gettext("A campaign that is %(state)s cannot be %(action)s.")
            % {"state": campaign.get_state_display(), "action": action},
            fields={"state": campaign.state},
        )


# ----------------------------------------------------------------- the plan


def _money(value: Any, field: str, errors: dict[str, str]) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        errors[field] = gettext("%(value)r is not an amount") % {"value": value}
        return Decimal(0)
    if amount < 0 or amount >= Decimal("1e12"):
        errors[field] = gettext("between 0 and 999,999,999,999.99 元")
    return amount


def _count(value: Any, field: str, errors: dict[str, str]) -> int:
    try:
        number = int(str(value if value not in (None, "") else "0"))
    except ValueError:
        errors[field] = gettext("%(value)r is not a whole number") % {"value": value}
        return 0
    if not 0 <= number <= 10_000_000:
        errors[field] = gettext("between 0 and 10,000,000")
    return number


def _checked_plan(values: Mapping[str, Any], campaign: Campaign | None) -> dict[str, Any]:
    """The plan's values, cleaned, or ValidationFailed naming each wrong field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {name: str(values.get(name) or "").strip() for name in TEXT_FIELDS}
    if not clean["name"]:
        errors["name"] = gettext("required: what the campaign is called")
    elif (
        Campaign.objects.filter(name=clean["name"])
        .exclude(pk=campaign.pk if campaign else 0)
        .exists()
    ):
        errors["name"] = gettext("%(name)s is the name of another campaign") % {
            "name": clean["name"]
        }
    for name, choices in (("objective", Campaign.Objective), ("form", Campaign.Form)):
        value = values.get(name) or ""
        if value not in choices.values:
            errors[name] = gettext("choose one of the list")
        clean[name] = value
    for name in ("starts_on", "ends_on"):
        value = values.get(name)
        if value in (None, ""):
            clean[name] = None
        elif isinstance(value, date):
            clean[name] = value
        else:
            try:
                clean[name] = date.fromisoformat(str(value))
            except ValueError:
                errors[name] = gettext("%(value)r is not a date (YYYY-MM-DD)") % {"value": value}
                clean[name] = None
    if clean.get("starts_on") and clean.get("ends_on") and clean["ends_on"] < clean["starts_on"]:
        errors["ends_on"] = gettext("the campaign ends before it starts")
    for name in COUNT_FIELDS:
        clean[name] = _count(values.get(name), name, errors)
    clean["target_sales"] = _money(values.get("target_sales"), "target_sales", errors)
    satisfaction = _money(values.get("target_satisfaction"), "target_satisfaction", errors)
    if satisfaction > 5:
        errors["target_satisfaction"] = gettext("from 1 to 5")
    clean["target_satisfaction"] = satisfaction
    for name in ("department", "owner", "channel"):
        clean[name] = values.get(name)
    if errors:
        raise ValidationFailed(gettext("The campaign was not saved."), fields=errors)
    check_storable(Campaign, clean)
    return clean


def _checked_budget(lines: Mapping[Any, Any]) -> dict[ExpenseCategory, Decimal]:
    errors: dict[str, str] = {}
    categories = ExpenseCategory.objects.in_bulk([key for key in lines if str(key).isdigit()])
    clean = {}
    for key, value in lines.items():
        category = categories.get(int(key)) if str(key).isdigit() else None
        if category is None:
            errors[f"budget.{key}"] = gettext("not an expense category")
            continue
        amount = _money(value, f"budget.{key}", errors)
        if amount:
            clean[category] = amount
    if errors:
        raise ValidationFailed(gettext("The campaign was not saved."), fields=errors)
    return clean


def _save_plan(campaign: Campaign, budget: dict[ExpenseCategory, Decimal], staff) -> None:
    CampaignBudgetLine.objects.filter(campaign=campaign).delete()
    CampaignBudgetLine.objects.bulk_create(
        CampaignBudgetLine(campaign=campaign, category=category, amount=amount)
        for category, amount in budget.items()
    )
    if staff is not None:
        campaign.staff.set(staff)


@transaction.atomic
def campaign_create(
    *,
    values: Mapping[str, Any],
    by: User,
    budget: Mapping[Any, Any] | None = None,
    staff: Iterable[User] | None = None,
) -> Campaign:
    """A new plan, in draft, owned by its author unless another owner is named."""
    clean = _checked_plan(values, None)
    lines = _checked_budget(budget or {})
    now = timezone.now()
    clean["owner"] = clean["owner"] or by
    clean["department"] = clean["department"] or by.department
    campaign = Campaign.objects.create(**clean, created_at=now, updated_at=now)
    _save_plan(campaign, lines, staff)
    campaign_event_record(campaign, "created", by=by)
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    values: Mapping[str, Any],
    by: User,
    budget: Mapping[Any, Any] | None = None,
    staff: Iterable[User] | None = None,
) -> Campaign:
    """Change the plan while it is a draft or returned for changes."""
    _manager(by, campaign)
    _moved(campaign, EDITABLE, gettext("changed"))
    clean = _checked_plan(values, campaign)
    lines = _checked_budget(budget or {})
    clean["owner"] = clean["owner"] or campaign.owner
    clean["department"] = clean["department"] or campaign.department
    changed = [name for name, value in clean.items() if getattr(campaign, name) != value]
    for name, value in clean.items():
        setattr(campaign, name, value)
    campaign.updated_at = timezone.now()
    campaign.save()
    _save_plan(campaign, lines, staff)
    campaign_event_record(campaign, "changed", by=by, data={"fields": changed})
    return campaign


def budget_total(campaign: Campaign) -> Decimal:
    total = campaign.budget_lines.aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@transaction.atomic
def campaign_submit(*, campaign: Campaign, by: User, reason: str = "") -> ApprovalRequest:
    """Send the plan for review (the department head) and approval (management)."""
    _manager(by, campaign)
    _moved(campaign, (State.DRAFT,), gettext("submitted"))
    if not (campaign.starts_on and campaign.ends_on):
        raise ValidationFailed(
            gettext("A plan needs its dates before it is submitted."),
            fields={"starts_on": gettext("required"), "ends_on": gettext("required")},
        )
    campaign_event_record(campaign, "submitted", by=by)
    return approval_submit(
        kind=KIND,
        subject=campaign,
        by=by,
        reason=reason.strip() or campaign.theme or campaign.name,
        title=gettext("Campaign plan: %(name)s") % {"name": campaign.name},
    )


class CampaignPlan:
    code = KIND
    label = _("Campaign plan")

    def snapshot(self, subject: Campaign, values: Mapping[str, Any]) -> dict[str, Any]:
        lines = subject.budget_lines.select_related("category")
        return {
            "campaign": subject.name,
            "objective": subject.get_objective_display(),
            "form": subject.get_form_display(),
            "theme": subject.theme,
            "dates": f"{subject.starts_on} – {subject.ends_on}",
            "place": subject.place,
            "budget": {line.category.name: str(line.amount) for line in lines},
            "amount": str(budget_total(subject)),
            "targets": {
                "participants": subject.target_participants,
                "leads": subject.target_leads,
                "a_leads": subject.target_a_leads,
                "sales": str(subject.target_sales),
                "satisfaction": str(subject.target_satisfaction),
            },
        }

    def amount(self, subject: Campaign, values: Mapping[str, Any]) -> Decimal | None:
        return budget_total(subject)

    def visible_to(self, subject: Campaign, user) -> bool:
        return campaigns_visible_to(user).filter(pk=subject.pk).exists()

    def url(self, subject: Campaign) -> str:
        return f"/marketing/campaigns/{subject.pk}/"

    def choices(self, subject: Campaign, by) -> list[Choice]:
        return []

    def on_progress(self, request: ApprovalRequest) -> None:
        """Follow the request: the first step is the review, any later one the approval."""
        campaign = Campaign.objects.select_for_update().get(pk=request.subject_id)
        following = {"returned": State.RETURNED, "withdrawn": State.DRAFT}
        state = following.get(str(request.state))
        if request.state == ApprovalRequest.State.PENDING:
            state = State.IN_REVIEW if request.step_index == 0 else State.AWAITING_APPROVAL
        if state is None or state == campaign.state:
            return
        Campaign.objects.filter(pk=campaign.pk).update(state=state, updated_at=timezone.now())
        step = request.current_step
        kind = {State.IN_REVIEW: "in_review", State.AWAITING_APPROVAL: "awaiting"}.get(state)
        if kind:
            campaign_event_record(campaign, kind, data={"step": step["name"] if step else ""})
        elif state == State.RETURNED:
            comment = request.tasks.filter(state="returned").order_by("-decided_at").first()
            campaign_event_record(
                campaign, "returned", text=comment.comment if comment else "", data={}
            )

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        Campaign.objects.filter(pk=request.subject_id).update(
            state=State.APPROVED, updated_at=timezone.now()
        )
        campaign = Campaign.objects.get(pk=request.subject_id)
        campaign_event_record(campaign, "approved", data={"approval": request.pk})
        return {"state": State.APPROVED.value}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        if request.state == ApprovalRequest.State.REJECTED:
            campaign = Campaign.objects.get(pk=request.subject_id)
            Campaign.objects.filter(pk=campaign.pk).update(
                state=State.CANCELLED, updated_at=timezone.now()
            )
            comment = request.tasks.filter(state="rejected").values_list("comment", flat=True)
            campaign_event_record(campaign, "cancelled", data={"reason": comment.first() or ""})


register_kind(CampaignPlan())


# ----------------------------------------------------------------- running it


def _move(campaign: Campaign, *, to: str, by: User, event: str, stamp: str = "") -> Campaign:
    now = timezone.now()
    changes: dict[str, Any] = {"state": to, "updated_at": now}
    if stamp:
        changes[stamp] = now
    Campaign.objects.filter(pk=campaign.pk).update(**changes)
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign_event_record(campaign, event, by=by, at=now)
    return campaign


@transaction.atomic
def campaign_start(*, campaign: Campaign, by: User) -> Campaign:
    """Only an approved plan starts; from then on leads may be attributed to it."""
    _manager(by, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _moved(campaign, (State.APPROVED,), gettext("started"))
    return _move(campaign, to=State.RUNNING, by=by, event="started", stamp="started_at")


@transaction.atomic
def campaign_end(*, campaign: Campaign, by: User) -> Campaign:
    _manager(by, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _moved(campaign, (State.RUNNING,), gettext("ended"))
    return _move(campaign, to=State.ENDED, by=by, event="ended", stamp="ended_at")


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User, reason: str) -> Campaign:
    _manager(by, campaign)
    if not reason.strip():
        raise ValidationFailed(
            gettext("Say why the campaign is cancelled."),
            fields={"reason": gettext("required: say why")},
        )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _moved(campaign, (State.DRAFT, State.RETURNED, State.APPROVED), gettext("cancelled"))
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(state=State.CANCELLED, updated_at=now)
    campaign.state = State.CANCELLED
    campaign_event_record(campaign, "cancelled", by=by, data={"reason": reason.strip()[:500]})
    return campaign


@transaction.atomic
def campaign_evaluate(
    *,
    campaign: Campaign,
    by: User,
    participants: Any,
    satisfaction: Any = None,
    lessons: str = "",
) -> Campaign:
    """The owner enters who came and the lessons learned; every other figure is computed
    and frozen with them. An evaluated campaign is read-only."""
    _manager(by, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _moved(campaign, (State.ENDED,), gettext("evaluated"))
    errors: dict[str, str] = {}
    came = (
        campaign.participants
        if participants in (None, "") and campaign.participants is not None
        else _count(participants, "participants", errors)
    )
    rating = None
    if satisfaction not in (None, ""):
        rating = _money(satisfaction, "satisfaction", errors)
        if not 1 <= rating <= 5:
            errors["satisfaction"] = gettext("from 1 to 5")
    if not lessons.strip():
        errors["lessons"] = gettext("required: what went well and what to change")
    if errors:
        raise ValidationFailed(gettext("The evaluation was not saved."), fields=errors)
    check_storable(Campaign, {"lessons": lessons.strip()})
    campaign.participants, campaign.satisfaction = came, rating
    campaign.lessons = lessons.strip()
    figures = campaign_figures(campaign)
    campaign.evaluation = {name: _plain(value) for name, value in figures.items()}
    now = timezone.now()
    campaign.state, campaign.evaluated_at, campaign.updated_at = State.EVALUATED, now, now
    campaign.save()
    campaign_event_record(campaign, "evaluated", by=by, data={"figures": campaign.evaluation})
    return campaign


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


PARTICIPANT_HEADERS = {"姓名": "name", "参会人": "name", "name": "name", "participant": "name"}


@transaction.atomic
def campaign_participants_import(*, campaign: Campaign, by: User, path: Path) -> int:
    """The participants counted from a sign-in list (CSV or XLSX with a 姓名/name column):
    the campaign's participant figure, replacing one entered before. Only the count is
    kept; the list's names and phones are not stored."""
    _manager(by, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _moved(campaign, (State.RUNNING, State.ENDED), gettext("given participants"))
    rows = read_table(
        path,
        known=PARTICIPANT_HEADERS,
        required="name",
        required_hint="姓名 / name",
        required_label="姓名",
    )
    count = sum(1 for _, row in rows if str(row.get("name") or "").strip())
    Campaign.objects.filter(pk=campaign.pk).update(participants=count, updated_at=timezone.now())
    campaign.participants = count
    campaign_event_record(
        campaign, "participants", by=by, data={"participants": count, "file": path.name[:100]}
    )
    return count


@transaction.atomic
def campaign_note_add(*, campaign: Campaign, by: User, text: str) -> None:
    """A progress meeting's note on the campaign's timeline."""
    if not campaign_visible(by, campaign):
        raise Forbidden(gettext("You do not see this campaign."))
    text = text.strip()
    if not text:
        raise ValidationFailed(gettext("The note is empty."), fields={"text": gettext("required")})
    check_storable(Campaign, {"content": text})
    campaign_event_record(campaign, "note", by=by, text=text[:4000])


def campaign_visible(user, campaign: Campaign) -> bool:
    return campaigns_visible_to(user).filter(pk=campaign.pk).exists()


# ----------------------------------------------------------------- tasks


@transaction.atomic
def task_add(
    *,
    campaign: Campaign,
    by: User,
    title: str,
    due_on: date | None,
    assignee: User | None = None,
    department: Department | None = None,
) -> CampaignTask:
    _manager(by, campaign)
    _moved(
        campaign,
        (State.DRAFT, State.RETURNED, State.IN_REVIEW, State.AWAITING_APPROVAL)
        + (State.APPROVED, State.RUNNING),
        gettext("given tasks"),
    )
    errors = {}
    if not title.strip():
        errors["title"] = gettext("required: what is to be done")
    if due_on is None:
        errors["due_on"] = gettext("required: by when")
    if assignee is None and department is None:
        errors["assignee"] = gettext("a person or a department does it")
    if errors or due_on is None:
        raise ValidationFailed(gettext("The task was not added."), fields=errors)
    check_storable(CampaignTask, {"title": title.strip()})
    task = CampaignTask.objects.create(
        campaign=campaign,
        title=title.strip()[:200],
        assignee=assignee,
        department=department,
        due_on=due_on,
        created_at=timezone.now(),
    )
    who = assignee or (department.manager if department else None)
    if who is not None:
        notify(
            who,
            Message(
                title=gettext("Campaign task: %(title)s") % {"title": task.title},
                body=gettext("%(campaign)s, due %(due)s")
                % {"campaign": campaign.name, "due": due_on},
                url=f"/marketing/campaigns/{campaign.pk}/",
            ),
        )
    campaign_event_record(
        campaign,
        "task_added",
        by=by,
        data={"task": task.title, "assignee": str(who or ""), "due_on": str(due_on)},
    )
    return task


@transaction.atomic
def task_done(*, task: CampaignTask, by: User) -> CampaignTask:
    campaign = task.campaign
    if task.assignee_id != by.pk and not may_manage(by, campaign):
        raise Forbidden(gettext("Only the person the task is for, or the campaign's owner."))
    taken = CampaignTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=by
    )
    if taken != 1:
        raise Conflict(gettext("This task is done already."), fields={"task": task.title})
    task.refresh_from_db()
    campaign_event_record(campaign, "task_done", by=by, data={"task": task.title})
    return task


def progress(campaign: Campaign) -> tuple[int, int]:
    """(tasks done, all tasks)."""
    tasks = list(campaign.tasks.values_list("done_at", flat=True))
    return sum(done is not None for done in tasks), len(tasks)


@sweep("marketing.tasks")
def remind_overdue_tasks(now: datetime) -> dict[str, Any]:
    """A task past its due day reminds its person once (or its department's head)."""
    today = timezone.localdate(now)
    overdue = CampaignTask.objects.filter(
        due_on__lt=today, done_at__isnull=True, reminded_at__isnull=True
    ).select_related("campaign", "assignee", "department__manager")[:500]
    reminded = 0
    with transaction.atomic():
        for task in overdue:
            if (
                CampaignTask.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                != 1
            ):
                continue
            who = task.assignee or (task.department.manager if task.department else None)
            if who is None:
                continue
            notify(
                who,
                Message(
                    title=gettext("Overdue campaign task: %(title)s") % {"title": task.title},
                    body=gettext("%(campaign)s, was due %(due)s")
                    % {"campaign": task.campaign.name, "due": task.due_on},
                    url=f"/marketing/campaigns/{task.campaign_id}/",
                    level="warning",
                ),
            )
            reminded += 1
    return {"reminded": reminded}

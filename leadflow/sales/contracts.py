"""Contracts (MKT-5): drafted from a deal or for a customer, numbered by a configurable
pattern (HT-YYYYMMDD-001 by default, never twice), reviewed by legal and approved by
management through the approvals engine (kind contract), then signed, performed and
completed. A signed contract changes only through an approved change (kind
contract_change) or ends early through an approved termination (kind
contract_termination); each version is kept. The payment plan sums to the amount;
finance records what is received, never more than is owed.

    draft ─submit→ legal review ─→ in approval ─→ approved ─sign→ signed
    signed ─start→ in performance ─complete (all received)→ completed
    returned ←(return); draft/returned/approved ─cancel→ cancelled
    signed/in performance ─(approved termination)→ terminated
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.org import manager_of
from leadflow.accounts.scope import scope_filter
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.audit import audit_record, register_action_labels, register_object_labels
from leadflow.core.company_settings import define, get_setting
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.sequences import next_number
from leadflow.core.storable import check_storable
from leadflow.core.sweeps import sweep
from leadflow.core.worktime import WorkCalendar
from leadflow.customers.models import Customer
from leadflow.customers.queries import customers_visible_to
from leadflow.notify.delivery import Message, notify

from .models import (
    Contract,
    ContractChange,
    ContractNumberSequence,
    ContractVersion,
    Deal,
    Instalment,
    Receipt,
)
from .permissions import SALES_CONTRACTS_ALL, SALES_RECEIPTS

State = Contract.State
CENTS = Decimal("0.01")
define(
    "sales.contract_number_pattern",
    "HT-{YYYY}{MM}{DD}-{NNN}",
    "str",
    _("Contract number pattern ({YYYY} {MM} {DD} the day, {NNN} the day's sequence)"),
    _("Contracts"),
)
register_object_labels(
    {
        "sales.contract": _("Contract"),
        "sales.deal": _("Deal"),
    }
)
register_action_labels(
    {
        "contract.": _("changed contract"),
        "contract.drafted": _("drafted contract"),
        "contract.edited": _("edited contract"),
        "contract.plan": _("set the payment plan of contract"),
        "contract.signed": _("recorded the signing of contract"),
        "contract.performing": _("started the performance of contract"),
        "contract.completed": _("completed contract"),
        "contract.cancelled": _("cancelled contract"),
        "receipt.": _("recorded a receipt on contract"),
    }
)
VERSIONED = (
    "title",
    "service",
    "amount",
    "cost",
    "payment_terms",
    "starts_on",
    "ends_on",
    "delivery_on",
    "clauses",
)
CHANGEABLE = ("amount", "cost", "payment_terms", "starts_on", "ends_on", "delivery_on")


def contracts_visible_to(user) -> QuerySet[Contract]:
    """By the owner's data scope, plus every contract for whoever reviews them all."""
    if user.has_permission(SALES_CONTRACTS_ALL) or user.has_permission(SALES_RECEIPTS):
        contracts = Contract.objects.all()
    else:
        contracts = Contract.objects.filter(scope_filter(user, owner_field="owner"))
    return contracts.select_related("customer", "owner", "deal")


def _mine(user, contract: Contract) -> None:
    if contract.owner_id == user.pk:
        return
    if not Contract.objects.filter(
        scope_filter(user, owner_field="owner"), pk=contract.pk
    ).exists():
        raise Forbidden(gettext("Only the contract's owner or their managers do this."))


def _moved(contract: Contract, allowed: Iterable[str], action: str) -> None:
    if contract.state not in allowed:
        raise Conflict(
            gettext("A contract that is %(state)s cannot be %(action)s.")
            % {"state": contract.get_state_display(), "action": action},
            fields={"state": contract.state},
        )


# ----------------------------------------------------------------- numbers and values


def contract_number(day: date) -> str:
    """The next number by the company's pattern; call inside the creating transaction."""
    return next_number(
        str(get_setting("sales.contract_number_pattern")),
        day,
        ContractNumberSequence._meta.db_table,
    )


def _money(value: Any, field: str, errors: dict[str, str], *, positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "x")).quantize(CENTS)
    except InvalidOperation:
        errors[field] = gettext("%(value)r is not an amount") % {"value": value}
        return Decimal(0)
    if (positive and amount <= 0) or amount < 0 or amount >= Decimal("1e12"):
        errors[field] = gettext("an amount above 0 元")
    return amount


def _day(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = gettext("%(value)r is not a date (YYYY-MM-DD)") % {"value": value}
        return None


def _checked(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {
        name: str(values.get(name) or "").strip()
        for name in ("title", "service", "payment_terms", "clauses")
    }
    if not clean["title"]:
        errors["title"] = gettext("required: what the contract is for")
    if not clean["service"]:
        errors["service"] = gettext("required: the service or goods it covers")
    clean["amount"] = _money(values.get("amount"), "amount", errors)
    clean["cost"] = (
        None
        if values.get("cost") in (None, "")
        else _money(values.get("cost"), "cost", errors, positive=False)
    )
    for name in ("starts_on", "ends_on", "delivery_on"):
        clean[name] = _day(values.get(name), name, errors)
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        errors["ends_on"] = gettext("the contract ends before it starts")
    if errors:
        raise ValidationFailed(gettext("The contract was not saved."), fields=errors)
    check_storable(Contract, clean)
    return clean


# ----------------------------------------------------------------- drafting


@transaction.atomic
def contract_draft(
    *,
    values: Mapping[str, Any],
    by: User,
    customer: Customer | None = None,
    deal: Deal | None = None,
) -> Contract:
    """A draft for a customer the author sees, or from one of their deals (its customer,
    title and amount as the starting point)."""
    if deal is not None:
        customer = deal.customer
        values = {"title": deal.title, "amount": deal.amount, **values}
    if customer is None or not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise ValidationFailed(
            gettext("The contract was not saved."),
            fields={"customer": gettext("choose a customer you may see")},
        )
    clean = _checked(values)
    now = timezone.now()
    contract = Contract.objects.create(
        number=contract_number(timezone.localdate(now)),
        customer=customer,
        deal=deal,
        owner=by,
        created_at=now,
        updated_at=now,
        **clean,
    )
    audit_record(
        actor=by, action="contract.drafted", obj=contract, extra={"number": contract.number}
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, values: Mapping[str, Any], by: User) -> Contract:
    """Change a draft, or one returned for changes; a signed one changes by a change."""
    _mine(by, contract)
    _moved(contract, Contract.EDITABLE, gettext("edited"))
    clean = _checked(values)
    for name, value in clean.items():
        setattr(contract, name, value)
    contract.updated_at = timezone.now()
    contract.save()
    audit_record(actor=by, action="contract.edited", obj=contract)
    return contract


@dataclass(frozen=True)
class InstalmentIn:
    due_on: Any
    amount: Any
    note: str = ""


def _checked_plan(
    contract: Contract, plan: Iterable[InstalmentIn], amount: Decimal
) -> list[Instalment]:
    errors: dict[str, str] = {}
    rows = []
    for number, item in enumerate(plan, start=1):
        due = _day(item.due_on, f"plan.{number}", errors)
        value = _money(item.amount, f"plan.{number}", errors)
        if due is None:
            errors.setdefault(f"plan.{number}", gettext("the date it is due"))
            continue
        rows.append(
            Instalment(
                contract=contract, position=number, due_on=due, amount=value, note=item.note[:200]
            )
        )
    total = sum((row.amount for row in rows), Decimal(0))
    if not rows and not errors:
        errors["plan"] = gettext("at least one instalment")
    elif not errors and total != amount:
        errors["plan"] = gettext(
            "the instalments add up to %(total)s 元, the contract is %(amount)s 元"
        ) % {
            "total": total,
            "amount": amount,
        }
    if errors:
        raise ValidationFailed(gettext("The payment plan was not saved."), fields=errors)
    return rows


@transaction.atomic
def payment_plan_set(
    *, contract: Contract, plan: Iterable[InstalmentIn], by: User
) -> list[Instalment]:
    """The plan of a contract not yet signed: instalments summing to its amount."""
    _mine(by, contract)
    _moved(contract, Contract.EDITABLE, gettext("given a new plan"))
    rows = _checked_plan(contract, plan, contract.amount)
    contract.instalments.all().delete()
    Instalment.objects.bulk_create(rows)
    audit_record(actor=by, action="contract.plan", obj=contract, extra={"instalments": len(rows)})
    return rows


# ----------------------------------------------------------------- approval and signing


@transaction.atomic
def contract_submit(*, contract: Contract, by: User) -> ApprovalRequest:
    _mine(by, contract)
    _moved(contract, (State.DRAFT,), gettext("submitted"))
    planned = contract.instalments.aggregate(total=Sum("amount"))["total"]
    if planned != contract.amount:
        raise ValidationFailed(
            gettext("Plan the payments before the contract is submitted."),
            fields={"plan": gettext("the instalments must add up to the contract's amount")},
        )
    return approval_submit(
        kind="contract",
        subject=contract,
        by=by,
        reason=contract.title,
        title=gettext("Contract %(number)s: %(title)s")
        % {"number": contract.number, "title": contract.title},
    )


def _values(contract: Contract) -> dict[str, Any]:
    values = {name: getattr(contract, name) for name in VERSIONED}
    values = {k: str(v) if isinstance(v, Decimal | date) else v for k, v in values.items()}
    values["plan"] = [
        {"due_on": str(i.due_on), "amount": str(i.amount), "note": i.note}
        for i in contract.instalments.all()
    ]
    return values


class ContractKind:
    code = "contract"
    label = _("Contract")

    def snapshot(self, subject: Contract, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "contract": subject.number,
            "customer": subject.customer.name,
            "title": subject.title,
            "amount": str(subject.amount),
            "dates": f"{subject.starts_on or '—'} – {subject.ends_on or '—'}",
            "plan": [f"{i.due_on} {i.amount}" for i in subject.instalments.all()],
        }

    def amount(self, subject: Contract, values: Mapping[str, Any]) -> Decimal | None:
        return subject.amount

    def visible_to(self, subject: Contract, user) -> bool:
        return contracts_visible_to(user).filter(pk=subject.pk).exists()

    def url(self, subject: Contract) -> str:
        return f"/sales/contracts/{subject.pk}/"

    def choices(self, subject: Contract, by) -> list[Choice]:
        return []

    def on_progress(self, request: ApprovalRequest) -> None:
        state = {"returned": State.RETURNED, "withdrawn": State.DRAFT}.get(str(request.state))
        if request.state == ApprovalRequest.State.PENDING:
            state = State.LEGAL_REVIEW if request.step_index == 0 else State.APPROVAL
        if state is not None:
            Contract.objects.filter(pk=request.subject_id).update(
                state=state, updated_at=timezone.now()
            )

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        Contract.objects.filter(pk=request.subject_id).update(
            state=State.APPROVED, updated_at=timezone.now()
        )
        return {}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        state = State.CANCELLED if request.state == ApprovalRequest.State.REJECTED else State.DRAFT
        Contract.objects.filter(pk=request.subject_id).update(
            state=state, updated_at=timezone.now()
        )


register_kind(ContractKind())


@transaction.atomic
def contract_sign(*, contract: Contract, by: User, signed_on: date | None) -> Contract:
    """Signed as approved: the first version is kept from here on."""
    _mine(by, contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _moved(contract, (State.APPROVED,), gettext("signed"))
    if signed_on is None or signed_on > timezone.localdate():
        raise ValidationFailed(
            gettext("Say when it was signed."), fields={"signed_on": gettext("today or earlier")}
        )
    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        state=State.SIGNED, signed_on=signed_on, updated_at=now
    )
    contract.state, contract.signed_on = State.SIGNED, signed_on
    ContractVersion.objects.create(
        contract=contract,
        version=1,
        values=_values(contract),
        reason=gettext("signed"),
        at=now,
        by=by,
    )
    audit_record(
        actor=by, action="contract.signed", obj=contract, extra={"signed_on": str(signed_on)}
    )
    return contract


@transaction.atomic
def contract_perform(*, contract: Contract, by: User) -> Contract:
    _mine(by, contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _moved(contract, (State.SIGNED,), gettext("started"))
    Contract.objects.filter(pk=contract.pk).update(
        state=State.PERFORMING, updated_at=timezone.now()
    )
    contract.state = State.PERFORMING
    audit_record(actor=by, action="contract.performing", obj=contract)
    return contract


def received_total(contract: Contract) -> Decimal:
    return (contract.receipts.aggregate(total=Sum("amount"))["total"] or Decimal(0)).quantize(CENTS)


@transaction.atomic
def contract_complete(*, contract: Contract, by: User) -> Contract:
    """Completed once delivered and fully paid."""
    _mine(by, contract)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _moved(contract, (State.PERFORMING,), gettext("completed"))
    owed = contract.amount - received_total(contract)
    if owed > 0:
        raise Conflict(
            gettext("%(owed)s 元 is still to be received.") % {"owed": owed},
            fields={"receipts": str(owed)},
        )
    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        state=State.COMPLETED, closed_at=now, updated_at=now
    )
    contract.state = State.COMPLETED
    audit_record(actor=by, action="contract.completed", obj=contract)
    return contract


@transaction.atomic
def contract_cancel(*, contract: Contract, by: User, reason: str) -> Contract:
    _mine(by, contract)
    if not reason.strip():
        raise ValidationFailed(gettext("Say why."), fields={"reason": gettext("required: say why")})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _moved(contract, (State.DRAFT, State.RETURNED, State.APPROVED), gettext("cancelled"))
    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        state=State.CANCELLED, closed_at=now, updated_at=now
    )
    contract.state = State.CANCELLED
    audit_record(
        actor=by, action="contract.cancelled", obj=contract, extra={"reason": reason.strip()}
    )
    return contract


# ----------------------------------------------------------------- changes and termination


@transaction.atomic
def contract_change_request(
    *,
    contract: Contract,
    by: User,
    reason: str,
    values: Mapping[str, Any] | None = None,
    plan: Iterable[InstalmentIn] | None = None,
    terminate: bool = False,
) -> ContractChange:
    """Ask to change a signed contract (amount, terms, dates; with a new plan when the
    amount changes) or to end it early. Applied only once approved."""
    _mine(by, contract)
    _moved(contract, (State.SIGNED, State.PERFORMING), gettext("changed"))
    if not reason.strip():
        raise ValidationFailed(gettext("Say why."), fields={"reason": gettext("required: say why")})
    if contract.changes.filter(state=ContractChange.State.PENDING).exists():
        raise Conflict(
            gettext("A change of this contract is already in approval."),
            fields={"contract": contract.number},
        )
    proposed: dict[str, Any] = {}
    if not terminate:
        errors: dict[str, str] = {}
        given = dict(values or {})
        for name in CHANGEABLE:
            if name not in given:
                continue
            if name == "amount":
                proposed[name] = str(_money(given[name], name, errors))
            elif name == "cost":
                proposed[name] = str(_money(given[name], name, errors, positive=False))
            elif name == "payment_terms":
                proposed[name] = str(given[name] or "").strip()[:4000]
            else:
                day = _day(given[name], name, errors)
                proposed[name] = str(day) if day else None
        if errors:
            raise ValidationFailed(gettext("The change was not sent."), fields=errors)
        amount = Decimal(proposed.get("amount", contract.amount))
        if plan is not None or amount != contract.amount:
            rows = _checked_plan(contract, plan or [], amount)
            received = received_total(contract)
            if amount < received:
                raise ValidationFailed(
                    gettext("The change was not sent."),
                    fields={
                        "amount": gettext("less than the %(received)s 元 already received")
                        % {"received": received}
                    },
                )
            proposed["plan"] = [
                {"due_on": str(row.due_on), "amount": str(row.amount), "note": row.note}
                for row in rows
            ]
        if not proposed:
            raise ValidationFailed(
                gettext("The change was not sent."), fields={"values": gettext("nothing changes")}
            )
    change = ContractChange.objects.create(
        contract=contract,
        kind=ContractChange.Kind.TERMINATION if terminate else ContractChange.Kind.CHANGE,
        values=proposed,
        reason=reason.strip()[:500],
        by=by,
        created_at=timezone.now(),
    )
    title = (
        gettext("Early termination of contract %(number)s")
        if terminate
        else gettext("Change of contract %(number)s")
    ) % {"number": contract.number}
    approval_submit(
        kind="contract_termination" if terminate else "contract_change",
        subject=change,
        by=by,
        reason=change.reason,
        title=title,
    )
    return change


class ContractChangeKind:
    code = "contract_change"
    label = _("Contract change")

    def snapshot(self, subject: ContractChange, values: Mapping[str, Any]) -> dict[str, Any]:
        contract = subject.contract
        shown = {k: v for k, v in subject.values.items() if k != "plan"}
        return {
            "contract": contract.number,
            "customer": contract.customer.name,
            "before": {name: str(getattr(contract, name) or "") for name in shown},
            "after": shown,
            "plan": [f"{row['due_on']} {row['amount']}" for row in subject.values.get("plan", [])],
        }

    def amount(self, subject: ContractChange, values: Mapping[str, Any]) -> Decimal | None:
        return Decimal(subject.values.get("amount", subject.contract.amount))

    def visible_to(self, subject: ContractChange, user) -> bool:
        return contracts_visible_to(user).filter(pk=subject.contract_id).exists()

    def url(self, subject: ContractChange) -> str:
        return f"/sales/contracts/{subject.contract_id}/"

    def choices(self, subject: ContractChange, by) -> list[Choice]:
        return []

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        change = ContractChange.objects.select_related("contract").get(pk=request.subject_id)
        contract = Contract.objects.select_for_update().get(pk=change.contract_id)
        now = timezone.now()
        for name, value in change.values.items():
            if name != "plan":
                setattr(contract, name, Decimal(value) if name in ("amount", "cost") else value)
        if "plan" in change.values:
            contract.instalments.all().delete()
            Instalment.objects.bulk_create(
                Instalment(
                    contract=contract,
                    position=number,
                    due_on=date.fromisoformat(row["due_on"]),
                    amount=Decimal(row["amount"]),
                    note=row["note"],
                )
                for number, row in enumerate(change.values["plan"], start=1)
            )
        contract.version += 1
        contract.updated_at = now
        contract.save()
        contract.refresh_from_db()
        ContractVersion.objects.create(
            contract=contract,
            version=contract.version,
            values=_values(contract),
            reason=change.reason,
            at=now,
            by=change.by,
        )
        ContractChange.objects.filter(pk=change.pk).update(state=ContractChange.State.APPROVED)
        return {"version": contract.version}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        state = (
            ContractChange.State.REJECTED
            if request.state == ApprovalRequest.State.REJECTED
            else ContractChange.State.WITHDRAWN
        )
        ContractChange.objects.filter(pk=request.subject_id).update(state=state)


class ContractTerminationKind(ContractChangeKind):
    code = "contract_termination"
    label = _("Contract termination")

    def amount(self, subject: ContractChange, values: Mapping[str, Any]) -> Decimal | None:
        return subject.contract.amount

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        change = ContractChange.objects.get(pk=request.subject_id)
        now = timezone.now()
        Contract.objects.filter(pk=change.contract_id).update(
            state=State.TERMINATED, closed_at=now, updated_at=now
        )
        ContractChange.objects.filter(pk=change.pk).update(state=ContractChange.State.APPROVED)
        return {"terminated": True}


register_kind(ContractChangeKind())
register_kind(ContractTerminationKind())


# ----------------------------------------------------------------- receipts (回款)


@transaction.atomic
def receipt_record(
    *,
    contract: Contract,
    by: User,
    received_on: date | None,
    amount: Any,
    method: str,
    instalment: Instalment | None = None,
    note: str = "",
) -> Receipt:
    """Finance records money received; never more than the contract (or the matched
    instalment) still owes."""
    if not by.has_permission(SALES_RECEIPTS):
        raise Forbidden(gettext("Only finance records receipts."))
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _moved(contract, (State.SIGNED, State.PERFORMING), gettext("given receipts"))
    errors: dict[str, str] = {}
    value = _money(amount, "amount", errors)
    if received_on is None or received_on > timezone.localdate():
        errors["received_on"] = gettext("the day it arrived, today or earlier")
    if method not in Receipt.Method.values:
        errors["method"] = gettext("choose how it was paid")
    if instalment is not None and instalment.contract_id != contract.pk:
        errors["instalment"] = gettext("not an instalment of this contract")
    if errors or received_on is None:
        raise ValidationFailed(gettext("The receipt was not recorded."), fields=errors)
    owed = contract.amount - received_total(contract)
    if value > owed:
        raise ValidationFailed(
            gettext("The receipt was not recorded."),
            fields={"amount": gettext("only %(owed)s 元 is still owed") % {"owed": owed}},
        )
    if instalment is not None:
        left = instalment.amount - (
            instalment.receipts.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        )
        if value > left:
            raise ValidationFailed(
                gettext("The receipt was not recorded."),
                fields={"amount": gettext("the instalment has %(left)s 元 left") % {"left": left}},
            )
    receipt = Receipt.objects.create(
        contract=contract,
        instalment=instalment,
        received_on=received_on,
        amount=value,
        method=method,
        note=note.strip()[:200],
        recorded_by=by,
        created_at=timezone.now(),
    )
    audit_record(
        actor=by,
        action="receipt.recorded",
        obj=contract,
        extra={"amount": str(value), "received_on": str(received_on)},
    )
    return receipt


# ----------------------------------------------------------------- what is owed


def effective_due(due_on: date, calendar: WorkCalendar) -> date:
    """An instalment due on a day off is due on the next working day."""
    day = due_on
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Outstanding:
    instalment: Instalment
    owed: Decimal
    due: date  # on the working calendar
    days_overdue: int


def outstanding(
    contracts: QuerySet[Contract], today: date, calendar: WorkCalendar
) -> list[Outstanding]:
    """What each instalment still owes, oldest first: receipts matched to an instalment
    pay it; unmatched receipts pay the oldest instalments first."""
    rows: list[Outstanding] = []
    live = contracts.filter(state__in=(State.SIGNED, State.PERFORMING))
    instalments = Instalment.objects.filter(contract__in=live).order_by(
        "contract_id", "due_on", "position"
    )
    matched = dict(
        Receipt.objects.filter(instalment__in=instalments)
        .values_list("instalment_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    unmatched = dict(
        Receipt.objects.filter(contract__in=live, instalment__isnull=True)
        .values_list("contract_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for instalment in instalments.select_related(
        "contract", "contract__customer", "contract__owner"
    ):
        owed = instalment.amount - matched.get(instalment.pk, Decimal(0))
        spare = unmatched.get(instalment.contract_id, Decimal(0))
        used = min(spare, owed)
        unmatched[instalment.contract_id] = spare - used
        owed -= used
        if owed <= 0:
            continue
        due = effective_due(instalment.due_on, calendar)
        rows.append(Outstanding(instalment, owed, due, max((today - due).days, 0)))
    return rows


AGEING = ((0, 30, "0–30"), (31, 60, "31–60"), (61, 90, "61–90"), (91, None, "90+"))


def ageing(rows: list[Outstanding], today: date) -> dict[str, Decimal]:
    """What is due and unpaid by days past its due working day: 0–30, 31–60, 61–90, 90+."""
    buckets = {label: Decimal(0) for *_, label in AGEING}
    for row in rows:
        if row.due > today:
            continue  # not due yet
        for low, high, label in AGEING:
            if row.days_overdue >= low and (high is None or row.days_overdue <= high):
                buckets[label] += row.owed
                break
    return buckets


@sweep("sales.instalments")
def remind_overdue_instalments(now: datetime) -> dict[str, Any]:
    """An instalment past its due working day reminds the contract's owner and their
    manager once; nothing is sent on a day off."""
    calendar = WorkCalendar.for_company()
    today = timezone.localdate(now)
    if not calendar.is_working_day(today):
        return {"reminded": 0}
    reminded = 0
    rows = outstanding(Contract.objects.all(), today, calendar)
    with transaction.atomic():
        for row in rows:
            if row.days_overdue <= 0 or row.instalment.reminded_at is not None:
                continue
            if (
                Instalment.objects.filter(pk=row.instalment.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                != 1
            ):
                continue
            contract = row.instalment.contract
            people = [contract.owner, manager_of(contract.owner)]
            notify(
                [person for person in people if person is not None],
                Message(
                    title=gettext("Overdue payment: %(number)s") % {"number": contract.number},
                    body=gettext("%(customer)s owes %(owed)s 元, due %(due)s.")
                    % {"customer": contract.customer.name, "owed": row.owed, "due": row.due},
                    url=f"/sales/contracts/{contract.pk}/",
                    level="warning",
                ),
            )
            reminded += 1
    return {"reminded": reminded}


def contracts_of_deal(deal: Deal) -> QuerySet[Contract]:
    return Contract.objects.filter(deal=deal).filter(Q(state__in=Contract.IN_FORCE))

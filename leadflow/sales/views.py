from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Department, Team, User
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.ui import form_error, page_of, refused_message
from leadflow.core.worktime import WorkCalendar
from leadflow.customers.queries import customers_visible_to

from .contracts import (
    CHANGEABLE,
    InstalmentIn,
    ageing,
    contract_cancel,
    contract_change_request,
    contract_complete,
    contract_draft,
    contract_perform,
    contract_sign,
    contract_submit,
    contract_update,
    contracts_visible_to,
    outstanding,
    payment_plan_set,
    receipt_record,
    received_total,
)
from .forms import ContractForm
from .models import ClauseTemplate, Contract, Deal, Receipt, Target, TargetPlan
from .permissions import SALES_RECEIPTS, SALES_TARGETS
from .queries import deals_of_customer
from .targets import (
    Who,
    last_years_shape,
    mismatches,
    period_span,
    plan_in_force,
    progress_rows,
    target_months_set,
    target_plan_draft,
    target_plan_submit,
    target_set,
    target_split_down,
    time_elapsed,
)


@login_required
def customer_deals(request, customer_id: int):
    """The deals table on the customer page (loaded into it)."""
    deals = deals_of_customer(request.user, customer_id)
    if deals is None:
        raise Http404
    return render(request, "sales/customer_deals.html", {"deals": deals})


# ----------------------------------------------------------------- contracts (MKT-5)


def _contract(request, contract_id: int) -> Contract:
    contract = contracts_visible_to(request.user).filter(pk=contract_id).first()
    if contract is None:
        raise Http404
    return contract


@login_required
def contracts_page(request):
    contracts = contracts_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in Contract.State.values:
        contracts = contracts.filter(state=state)
    if query := request.GET.get("q", "").strip():
        contracts = contracts.filter(
            Q(number__icontains=query)
            | Q(title__icontains=query)
            | Q(customer__name__icontains=query)
        )
    if "export" in request.GET:
        headers = [
            gettext("Number"),
            gettext("Customer"),
            gettext("Title"),
            gettext("Amount (元)"),
            gettext("State"),
            gettext("Signed on"),
            gettext("Owner"),
        ]
        rows = (
            (
                c.number,
                c.customer.name,
                c.title,
                c.amount,
                c.get_state_display(),
                c.signed_on or "",
                str(c.owner),
            )
            for c in contracts[:10_000]
        )
        return export_from_request(request, name="contracts", headers=headers, rows=rows)
    return render(
        request,
        "sales/contracts.html",
        {
            "page": page_of(request, contracts, per_page=30),
            "states": Contract.State.choices,
            "state": state,
        },
    )


@login_required
def contract_new(request):
    deal = Deal.objects.filter(pk=request.GET.get("deal") or request.POST.get("deal") or 0).first()
    customer = (
        customers_visible_to(request.user)
        .filter(pk=request.GET.get("customer") or request.POST.get("customer") or 0)
        .first()
    )
    form = ContractForm(
        request.POST or None, initial={"title": deal.title, "amount": deal.amount} if deal else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_draft(
                values=form.cleaned_data, by=request.user, customer=customer, deal=deal
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Drafted: add the payment plan, then submit it."))
            return redirect("contract", contract.pk)
    return render(
        request,
        "sales/contract_form.html",
        {
            "form": form,
            "deal": deal,
            "customer": customer or (deal.customer if deal else None),
            "customers": customers_visible_to(request.user).order_by("name")[:500],
            "clauses": ClauseTemplate.objects.filter(active=True),
        },
    )


@login_required
def contract_edit(request, contract_id: int):
    contract = _contract(request, contract_id)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            contract_update(contract=contract, values=form.cleaned_data, by=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("contract", contract.pk)
    return render(
        request,
        "sales/contract_form.html",
        {"form": form, "contract": contract, "clauses": ClauseTemplate.objects.filter(active=True)},
    )


@login_required
def contract_page(request, contract_id: int):
    contract = _contract(request, contract_id)
    today = timezone.localdate()
    calendar = WorkCalendar.for_company()
    owing = {
        row.instalment.pk: row
        for row in outstanding(Contract.objects.filter(pk=contract.pk), today, calendar)
    }
    instalments = [{"instalment": i, "owing": owing.get(i.pk)} for i in contract.instalments.all()]
    approvals = ApprovalRequest.objects.filter(
        Q(kind="contract", subject_id=contract.pk)
        | Q(
            kind__in=["contract_change", "contract_termination"],
            subject_id__in=contract.changes.values("pk"),
        )
    ).order_by("-id")
    return render(
        request,
        "sales/contract.html",
        {
            "contract": contract,
            "instalments": instalments,
            "plan_rows": range(max(4, len(instalments) + 1)),
            "receipts": contract.receipts.select_related("recorded_by", "instalment"),
            "received": received_total(contract),
            "versions": contract.versions.all(),
            "changes": contract.changes.all(),
            "approvals": approvals,
            "methods": Receipt.Method.choices,
            "finance": request.user.has_permission(SALES_RECEIPTS),
            "today": today,
        },
    )


def _plan_posted(post) -> list[InstalmentIn]:
    rows = []
    for n in range(24):
        due, amount = post.get(f"due_{n}", "").strip(), post.get(f"amount_{n}", "").strip()
        if due or amount:
            rows.append(InstalmentIn(due_on=due, amount=amount, note=post.get(f"note_{n}", "")))
    return rows


@require_POST
@login_required
def contract_action(request, contract_id: int, action: str):
    contract = _contract(request, contract_id)
    user, post = request.user, request.POST
    acts = {
        "plan": (
            lambda: payment_plan_set(contract=contract, plan=_plan_posted(post), by=user),
            gettext("Payment plan saved."),
        ),
        "submit": (
            lambda: contract_submit(contract=contract, by=user),
            gettext("Sent to legal review."),
        ),
        "sign": (
            lambda: contract_sign(
                contract=contract, by=user, signed_on=parse_date(post.get("signed_on") or "")
            ),
            gettext("Signed."),
        ),
        "perform": (
            lambda: contract_perform(contract=contract, by=user),
            gettext("In performance."),
        ),
        "complete": (lambda: contract_complete(contract=contract, by=user), gettext("Completed.")),
        "cancel": (
            lambda: contract_cancel(contract=contract, by=user, reason=post.get("reason", "")),
            gettext("Cancelled."),
        ),
        "receipt": (
            lambda: receipt_record(
                contract=contract,
                by=user,
                received_on=parse_date(post.get("received_on") or ""),
                amount=post.get("amount"),
                method=post.get("method", ""),
                instalment=contract.instalments.filter(pk=post.get("instalment") or 0).first(),
                note=post.get("note", ""),
            ),
            gettext("Receipt recorded."),
        ),
        "change": (
            lambda: contract_change_request(
                contract=contract,
                by=user,
                reason=post.get("reason", ""),
                values={name: post[name] for name in CHANGEABLE if post.get(name, "").strip()},
                plan=_plan_posted(post) or None,
            ),
            gettext("The change was sent for approval."),
        ),
        "terminate": (
            lambda: contract_change_request(
                contract=contract, by=user, reason=post.get("reason", ""), terminate=True
            ),
            gettext("The termination was sent for approval."),
        ),
    }
    if action not in acts:
        raise Http404
    act, done = acts[action]
    try:
        act()
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, done)
    return redirect("contract", contract.pk)


@login_required
def contract_print(request, contract_id: int):
    contract = _contract(request, contract_id)
    return render(
        request,
        "sales/contract_print.html",
        {"contract": contract, "instalments": contract.instalments.all()},
    )


@login_required
def receivables_page(request):
    """Receivables ageing (应收账龄): what is due and unpaid, on the working calendar."""
    today = timezone.localdate()
    rows = outstanding(contracts_visible_to(request.user), today, WorkCalendar.for_company())
    due = [row for row in rows if row.due <= today]
    if "export" in request.GET:
        headers = [
            gettext("Contract"),
            gettext("Customer"),
            gettext("Due"),
            gettext("Owed (元)"),
            gettext("Days overdue"),
            gettext("Owner"),
        ]
        table = (
            (
                r.instalment.contract.number,
                r.instalment.contract.customer.name,
                r.due,
                r.owed,
                r.days_overdue,
                str(r.instalment.contract.owner),
            )
            for r in due
        )
        return export_from_request(request, name="receivables", headers=headers, rows=table)
    return render(
        request,
        "sales/receivables.html",
        {
            "rows": due,
            "buckets": ageing(rows, today),
            "upcoming": [r for r in rows if r.due > today][:20],
        },
    )


# ----------------------------------------------------------------- targets (MKT-4)


def _who_from(value: str) -> Who:
    """ "", "d:3", "t:5" or "u:8" from the page's picker."""
    kind, _, ident = (value or "").partition(":")
    if kind == "d":
        return Who(department=Department.objects.filter(pk=ident or 0).first())
    if kind == "t":
        return Who(team=Team.objects.filter(pk=ident or 0).first())
    if kind == "u":
        return Who(user=User.objects.filter(pk=ident or 0).first())
    return Who()


def _draft_rows(plan: TargetPlan, measure: str) -> list[dict]:
    """Each place's year figure in the draft, with its picker value and its twelve months
    (empty where not set) for the by-hand form."""
    months: dict[tuple, list] = {}
    for t in plan.targets.filter(measure=measure, period="month"):
        key = (t.department_id, t.team_id, t.user_id)
        months.setdefault(key, [""] * 12)[t.index - 1] = t.amount
    rows = []
    for t in plan.targets.filter(measure=measure, period="year").select_related(
        "department", "team", "user"
    ):
        place = (
            f"u:{t.user_id}"
            if t.user_id
            else f"t:{t.team_id}"
            if t.team_id
            else f"d:{t.department_id}"
            if t.department_id
            else ""
        )
        key = (t.department_id, t.team_id, t.user_id)
        rows.append(
            {
                "target": t,
                "place": place,
                "months": list(enumerate(months.get(key, [""] * 12), start=1)),
            }
        )
    return rows


@login_required
def targets_page(request):
    today = timezone.localdate()
    year = int(request.GET.get("year") or today.year)
    measure = request.GET.get("measure") or Target.Measure.SALES
    period = request.GET.get("period") or Target.Period.YEAR
    index = int(request.GET.get("index") or 0)
    keeper = request.user.has_permission(SALES_TARGETS)
    if request.method == "POST" and keeper:
        post = request.POST
        try:
            plan = TargetPlan.objects.filter(pk=post.get("plan") or 0).first()
            if post.get("action") == "new":
                plan = target_plan_draft(
                    year=year, by=request.user, note=post.get("note", ""), copy=plan_in_force(year)
                )
            elif plan is None:
                raise Http404
            elif post.get("action") == "set":
                who, split = _who_from(post.get("who", "")), post.get("split", "even")
                target_set(
                    plan=plan,
                    measure=post.get("measure", ""),
                    who=who,
                    amount=post.get("amount"),
                    split=split,
                    shape=last_years_shape(post.get("measure", ""), who, plan.year)
                    if split == "shape"
                    else None,
                    by=request.user,
                )
            elif post.get("action") == "months":
                target_months_set(
                    plan=plan,
                    measure=post.get("measure", ""),
                    who=_who_from(post.get("who", "")),
                    months=[post.get(f"month_{m}", "") for m in range(1, 13)],
                    by=request.user,
                )
            elif post.get("action") == "down":
                target_split_down(
                    plan=plan,
                    measure=post.get("measure", ""),
                    who=_who_from(post.get("who", "")),
                    by=request.user,
                )
            elif post.get("action") == "submit":
                target_plan_submit(plan=plan, by=request.user)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return redirect(f"{request.path}?year={year}&measure={measure}")
    in_force = plan_in_force(year)
    start, end = period_span(year, period, index)
    drafts = TargetPlan.objects.filter(year=year, state__in=["draft", "pending"])
    draft = drafts.filter(state="draft").first()
    return render(
        request,
        "sales/targets.html",
        {
            "year": year,
            "measure": measure,
            "period": period,
            "index": index,
            "measures": Target.Measure.choices,
            "in_force": in_force,
            "rows": progress_rows(in_force, measure, period, index, request.user)
            if in_force
            else [],
            "elapsed": time_elapsed(start, end, today),
            "keeper": keeper,
            "drafts": drafts,
            "draft": draft,
            "draft_targets": _draft_rows(draft, measure) if draft else [],
            "mismatches": mismatches(draft) if draft else [],
            "places": [("", gettext("Company"))]
            + [(f"d:{d.pk}", d.name) for d in Department.objects.order_by("path")]
            + [(f"t:{t.pk}", t.name) for t in Team.objects.order_by("name")]
            + [
                (f"u:{u.pk}", str(u))
                for u in User.objects.filter(is_active=True, team__isnull=False)
            ],
            "periods": [("year", 0, gettext("Year"))]
            + [("quarter", q, f"Q{q}") for q in range(1, 5)]
            + [("month", m, f"{m} 月") for m in range(1, 13)],
        },
    )

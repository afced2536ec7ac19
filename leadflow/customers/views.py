from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request, write_table
from leadflow.core.paging import page_for_request
from leadflow.core.personal import opened_row, personal_data_viewed, shown
from leadflow.core.pickers import use_pickers
from leadflow.core.ui import (
    form_error,
    invalid_form_message,
    kept_upload,
    permission_required,
    refused_message,
)

from .access import access_request_create, my_requests, requests_to_decide
from .cadence import contacts_due, interaction_record, overdue_per_owner
from .confidentiality import (
    contact_reveal,
    sees_whole,
    shown_contact,
    shown_events,
)
from .imports import column_label, customer_import_start, template_csv
from .models import Customer, CustomerImport, Interaction, Share
from .permissions import CUSTOMERS_CREATE
from .profiles import (
    contact_add,
    customer_create,
    customer_data_confirm,
    customer_update,
    due_for_review,
)
from .queries import customer_for, customers_visible_to, filtered_customers, manages
from .reviews import grade_proposal_decide, proposals_for
from .risk import REASONS
from .teams import customer_share, share_revoke, team_member_add, team_member_remove

EXPORT_LIMIT = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADERS = [
    _("Name"),
    _("Kind"),
    _("Credit code"),
    _("Category"),
    _("Grade"),
    _("Industry"),
    _("Region"),
    _("Owner"),
    _("Created at"),
]


@login_required
def customers_page(request):
    customers = filtered_customers(
        request.user,
        q=request.GET.get("q", ""),
        category=request.GET.get("category", ""),
        grade=request.GET.get("grade", ""),
        region=request.GET.get("region", ""),
        at_risk=bool(request.GET.get("risk")),
        owner_id=int(request.GET["owner"]) if request.GET.get("owner", "").isdigit() else None,
    )
    if request.GET.get("export"):
        rows = (
            [
                c.name,
                c.get_kind_display(),
                c.credit_code,
                c.get_category_display(),
                c.grade,
                c.industry,
                c.region,
                c.owner,
                c.created_at,
            ]
            for c in customers.order_by("-id")[:EXPORT_LIMIT]
        )
        return export_from_request(request, name="customers", headers=EXPORT_HEADERS, rows=rows)
    page, next_cursor = page_for_request(customers, request)
    return render(
        request,
        "customers/list.html",
        {
            "customers": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "categories": Customer.Category.choices,
            "owners": User.objects.filter(customers__in=customers_visible_to(request.user))
            .distinct()
            .order_by("display_name"),
            "first_page": not request.GET.get("cursor"),
        },
    )


PROFILE_FIELDS = [
    "name",
    "kind",
    "credit_code",
    "legal_representative",
    "industry",
    "region",
    "address",
    "employees",
    "business_scope",
    "needs",
    "expected_annual_sales",
    "purchase_frequency",
    "purchasing_power",
    "potential",
    "intent",
    "satisfaction",
    "suggestions",
    "category",
]


class ProfileForm(forms.Form):
    """The profile's fields as the model describes them; `profiles` cleans and decides."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Customer, fields=PROFILE_FIELDS))
        # Spaces and dashes in a credit code are folded by `profiles`, not refused here.
        self.fields["credit_code"] = forms.CharField(
            label=self.fields["credit_code"].label, max_length=30, required=False
        )
        for name in ("business_scope", "needs", "suggestions"):
            self.fields[name].widget.attrs["rows"] = 2
        use_pickers(self)


class ProfileChangeForm(ProfileForm):
    changed_on = forms.DateField(
        label=_("When it changed in reality"),
        required=False,
        help_text=_("For a change of contacts, scope or management: recorded late is marked."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    role = forms.CharField(
        label=_("Role"), max_length=60, required=False, help_text=_("e.g. 采购经理, 决策人")
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)


@permission_required(CUSTOMERS_CREATE)
def customer_new(request):
    form = ProfileForm(request.POST or None, initial={"category": Customer.Category.POTENTIAL})
    contact = ContactForm(request.POST or None, prefix="contact")
    named = bool(request.POST.get("contact-name", "").strip())
    if request.method == "POST" and form.is_valid() and (not named or contact.is_valid()):
        values = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        try:
            customer = customer_create(
                values=values, contacts=[contact.cleaned_data] if named else [], by=request.user
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Customer saved."))
            return redirect("customer", customer_id=customer.pk)
    return render(request, "customers/new.html", {"form": form, "contact": contact})


def _visible(request, customer_id: int, *, to_edit: bool = False) -> Customer:
    customer = customer_for(request.user, customer_id, to_edit=to_edit)
    if customer is None:
        raise Http404
    return customer


@login_required
def customer_page(request, customer_id: int):
    """The profile with contacts and the customer's own timeline; the deals and the
    history of the leads it came from are loaded from the areas that keep them."""
    customer = _visible(request, customer_id, to_edit=request.method == "POST")
    form = ProfileChangeForm(initial={name: getattr(customer, name) for name in PROFILE_FIELDS})
    if request.method == "POST":
        form = ProfileChangeForm(request.POST)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
            try:
                customer_update(
                    customer=customer,
                    changes=changes,
                    by=request.user,
                    changed_on=form.cleaned_data["changed_on"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, gettext("Profile saved."))
                return redirect("customer", customer_id=customer.pk)
    whole = sees_whole(request.user, customer)  # once, not once per contact
    if whole:
        personal_data_viewed(user=request.user, obj=customer)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "contacts": [
                shown_contact(contact, whole=whole) for contact in customer.contacts.all()
            ],
            "events": shown_events(customer.events.select_related("actor")[:100], whole=whole),
            "address": shown({"address": customer.address}, whole=whole)["address"],
            # The form holds the whole address: only for who sees it whole.
            "form": form if whole else None,
            "contact_form": ContactForm(),
            "interaction_form": InteractionForm(initial={"at": timezone.localtime()}),
            "interactions": customer.interactions.select_related("by")[:50],
            "team": customer.team.select_related("user"),
            "shares": customer.shares.select_related("shared_with", "shared_by"),
            "can_manage": manages(request.user, customer),
            "colleagues": User.objects.filter(is_active=True).exclude(customers=customer),
            "rights": Share.Rights.choices,
            "now": timezone.now(),
            "risk_reasons": [str(REASONS.get(r, r)) for r in customer.risk_reasons],
            "editing": request.method == "POST",
        },
    )


class InteractionForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Contact time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    method = forms.ChoiceField(label=_("Method"), choices=Interaction.Method.choices)
    summary = forms.CharField(
        label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 2})
    )


@require_POST
@login_required
def interaction_view(request, customer_id: int):
    """Record a contact from the customer page (CUS-5)."""
    customer = _visible(request, customer_id, to_edit=True)
    form = InteractionForm(request.POST)
    if not form.is_valid():
        invalid_form_message(request, form)
        return redirect(f"/customers/{customer.pk}/?tab=contacts#contacts")
    try:
        interaction_record(customer=customer, by=request.user, **form.cleaned_data)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(
            request,
            gettext("Contact recorded. Next by %(due)s.")
            % {"due": timezone.localtime(customer.next_contact_due).strftime("%Y-%m-%d")},
        )
    return redirect(f"/customers/{customer.pk}/?tab=contacts#contacts")


CADENCE_HEADERS = [_("Name"), _("Grade"), _("Owner"), _("Last contact"), _("Next contact due")]


@login_required
def cadence_page(request):
    """The cadence board (CUS-5): customers overdue for a contact or due this week, and
    how many each owner has overdue."""
    when = request.GET.get("when", "overdue")
    if when not in ("overdue", "week"):
        when = "overdue"
    now = timezone.now()
    customers = contacts_due(request.user, when, now).select_related("owner")
    if request.GET.get("mine"):
        customers = customers.filter(owner=request.user)
    if request.GET.get("export"):
        rows = (
            [c.name, c.grade, c.owner, c.last_contact_at, c.next_contact_due]
            for c in customers[:EXPORT_LIMIT]
        )
        return export_from_request(request, name="cadence", headers=CADENCE_HEADERS, rows=rows)
    return render(
        request,
        "customers/cadence.html",
        {
            "customers": customers[:200],
            "count": customers.count(),
            "when": when,
            "per_owner": overdue_per_owner(request.user, now),
            "filters": request.GET,
        },
    )


@require_POST
@login_required
def contact_add_view(request, customer_id: int):
    customer = _visible(request, customer_id, to_edit=True)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("The contact needs a name."))
        return redirect("customer", customer_id=customer.pk)
    try:
        contact_add(customer=customer, values=form.cleaned_data, by=request.user)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, gettext("Contact added."))
    return redirect("customer", customer_id=customer.pk)


@login_required
def grade_review_page(request):
    """The grade review screen (CUS-3): proposals from the periodic review to confirm."""
    if request.method == "POST":
        proposal = proposals_for(request.user).filter(pk=request.POST.get("proposal")).first()
        if proposal is None:
            raise Http404
        try:
            grade_proposal_decide(
                proposal=proposal,
                accept=request.POST.get("decision") == "confirm",
                by=request.user,
                note=request.POST.get("note", ""),
            )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Decision saved."))
        return redirect("customer_grades")
    return render(
        request, "customers/grades.html", {"proposals": proposals_for(request.user)[:200]}
    )


def _team_action(request, customer_id: int, action, done: str):
    """A team or sharing button on the customer page: the service decides who may."""
    customer = _visible(request, customer_id)
    try:
        action(customer)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, done)
    return redirect(f"/customers/{customer.pk}/#team")


def _posted_user(request) -> User:
    user = User.objects.filter(pk=request.POST.get("user") or 0).first()
    if user is None:
        raise Http404
    return user


@require_POST
@login_required
def team_add_view(request, customer_id: int):
    user = _posted_user(request)
    return _team_action(
        request,
        customer_id,
        lambda customer: team_member_add(
            customer=customer, user=user, role=request.POST.get("role", ""), by=request.user
        ),
        gettext("Team member added."),
    )


@require_POST
@login_required
def team_remove_view(request, customer_id: int, member_id: int):
    def remove(customer: Customer) -> None:
        member = customer.team.filter(pk=member_id).first()
        if member is None:
            raise Http404
        team_member_remove(member=member, by=request.user)

    return _team_action(request, customer_id, remove, gettext("Team member removed."))


class ShareForm(forms.Form):
    rights = forms.ChoiceField(choices=Share.Rights.choices)
    reason = forms.CharField(max_length=200)
    until = forms.DateTimeField(required=False)


@require_POST
@login_required
def share_view(request, customer_id: int):
    user = _posted_user(request)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why it is shared and with which rights."))
        return redirect(f"/customers/{customer_id}/#team")
    return _team_action(
        request,
        customer_id,
        lambda customer: customer_share(
            customer=customer, user=user, by=request.user, **form.cleaned_data
        ),
        gettext("Customer shared."),
    )


@require_POST
@login_required
def share_revoke_view(request, customer_id: int, share_id: int):
    def revoke(customer: Customer) -> None:
        share = customer.shares.filter(pk=share_id).first()
        if share is None:
            raise Http404
        share_revoke(share=share, by=request.user)

    return _team_action(request, customer_id, revoke, gettext("Share ended."))


@require_POST
@login_required
def contact_reveal_view(request, customer_id: int, contact_id: int):
    """The whole contact, in place of its masked row (logged, SEC-3)."""
    contact = _visible(request, customer_id).contacts.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    try:
        shown = contact_reveal(contact=contact, by=request.user)
    except DomainError as error:
        return HttpResponse(f"<tr><td colspan='4'>{escape(error.message)}</td></tr>")
    return render(request, "customers/contact_row.html", {"p": shown, "customer_id": customer_id})


@login_required
def access_page(request):
    """Ask for another rep's customer (SEC-4); the requests waiting for this user's
    decision link to their approval page, where they are decided."""
    if request.method == "POST":
        try:
            access_request_create(
                name_or_code=request.POST.get("name_or_code", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Request sent to the customer's managers."))
        return redirect("customer_access")
    return render(
        request,
        "customers/access.html",
        {
            "to_decide": requests_to_decide(request.user)[:200],
            "mine": my_requests(request.user)[:50],
        },
    )


@login_required
def data_review_page(request):
    """The monthly data review (CUS-4): the customers whose profile is due a check."""
    if request.method == "POST":
        customer = customer_for(request.user, int(request.POST.get("customer") or 0), to_edit=True)
        if customer is None:
            raise Http404
        customer_data_confirm(customer=customer, by=request.user, note=request.POST.get("note", ""))
        messages.success(request, gettext("Marked as reviewed."))
        return redirect("customer_review")
    due = due_for_review(request.user, timezone.now())
    return render(request, "customers/review.html", {"customers": due[:200], "count": due.count()})


class CustomerImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


@permission_required(CUSTOMERS_CREATE)
def import_page(request):
    """Customers from a file (CUS-1), in the background with a progress bar."""
    form = CustomerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            form.add_error("file", gettext("Use a .csv or .xlsx file."))
        else:
            try:
                with kept_upload(upload, prefix="customers-") as path:
                    batch = customer_import_start(path=path, file_name=upload.name, by=request.user)
            except DomainError as error:
                form_error(form, error)
            else:
                return redirect("customer_import_batch", batch_id=batch.pk)
    batches = CustomerImport.objects.filter(created_by=request.user)[:20]
    return render(request, "customers/import.html", {"form": form, "batches": batches})


@permission_required(CUSTOMERS_CREATE)
def import_batch_page(request, batch_id: int):
    batch = get_object_or_404(CustomerImport, pk=batch_id, created_by=request.user)
    fmt = request.GET.get("errors")
    if fmt in ("csv", "xlsx"):
        # The uploader's own rows and why they were refused: not an export of customer data.
        content = write_table(
            fmt,
            [gettext("Row"), gettext("Field"), gettext("Reason"), gettext("The row as sent")],
            (
                [e["row"], e["field"], e["reason"], opened_row(e.get("original", ""), column_label)]
                for e in batch.errors
            ),
        )
        response = HttpResponse(content, content_type="text/csv" if fmt == "csv" else XLSX_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="customer-import-{batch.pk}-errors.{fmt}"'
        )
        return response
    template = (
        "customers/import_progress.html"
        if request.headers.get("HX-Request")
        else "customers/import_batch.html"
    )
    return render(request, template, {"batch": batch})


@login_required
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leadflow-customers-template.csv"'
    return response

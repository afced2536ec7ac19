from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_response
from leadflow.core.paging import cursor_page

from .models import Customer
from .queries import customer_for, filtered_customers

EXPORT_LIMIT = 100_000
EXPORT_HEADERS = [
    "name",
    "kind",
    "credit code",
    "category",
    "industry",
    "region",
    "owner",
    "created at",
]


@login_required
def customers_page(request):
    customers = filtered_customers(
        request.user, q=request.GET.get("q", ""), category=request.GET.get("category", "")
    )
    if request.GET.get("export"):
        rows = (
            [
                c.name,
                c.get_kind_display(),
                c.credit_code,
                c.get_category_display(),
                c.industry,
                c.region,
                c.owner,
                c.created_at,
            ]
            for c in customers.order_by("-id")[:EXPORT_LIMIT]
        )
        return export_response(
            user=request.user,
            name="customers",
            fmt=request.GET["export"],
            headers=EXPORT_HEADERS,
            rows=rows,
            filters=dict(request.GET.items()),
        )
    try:
        page, next_cursor = cursor_page(customers, cursor=request.GET.get("cursor"), limit=50)
    except DomainError:
        page, next_cursor = cursor_page(customers, cursor=None, limit=50)
    return render(
        request,
        "customers/list.html",
        {
            "customers": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "categories": Customer.Category.choices,
            "first_page": not request.GET.get("cursor"),
        },
    )


@login_required
def customer_page(request, customer_id: int):
    """The profile with contacts and the customer's own timeline; the deals and the
    history of the leads it came from are loaded from the areas that keep them."""
    customer = customer_for(request.user, customer_id)
    if customer is None:
        raise Http404
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "events": customer.events.select_related("actor")[:100],
        },
    )

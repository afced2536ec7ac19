from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .queries import deals_of_customer


@login_required
def customer_deals(request, customer_id: int):
    """The deals table on the customer page (loaded into it)."""
    deals = deals_of_customer(request.user, customer_id)
    if deals is None:
        raise Http404
    return render(request, "sales/customer_deals.html", {"deals": deals})

"""Duplicates and merges (LEAD-CLN-2): the merge list, a manual merge and its undo."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.ui import (
    form_error,
    permission_required,
)

from ..capture import lead_merge, lead_merge_undo
from ..forms import (
    MergeForm,
)
from ..models import (
    Lead,
    LeadMerge,
)
from ..permissions import (
    LEADS_MERGE,
)


@permission_required(LEADS_MERGE)
def merges_page(request):
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        merged_number = form.cleaned_data["merged"].strip().upper()
        survivor_number = form.cleaned_data["survivor"].strip().upper()
        leads = Lead.objects.in_bulk([merged_number, survivor_number], field_name="number")
        merged, survivor = leads.get(merged_number), leads.get(survivor_number)
        if merged is None or survivor is None:
            form.add_error(None, gettext("No lead has that number."))
        else:
            try:
                lead_merge(survivor=survivor, merged=merged, reason="manual", by=request.user)
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(
                    request,
                    gettext("Merged %(a)s into %(b)s.")
                    % {"a": merged.number, "b": survivor.number},
                )
                return redirect("lead_merges")
    recent = LeadMerge.objects.select_related("survivor", "merged", "by").order_by("-at", "-id")[
        :100
    ]
    return render(request, "leads/merges.html", {"form": form, "merges": recent})


@require_POST
@permission_required(LEADS_MERGE)
def merge_undo_view(request, merge_id: int):
    merge = get_object_or_404(LeadMerge, pk=merge_id)
    try:
        restored = lead_merge_undo(merge=merge, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("lead_merges")
    messages.success(
        request,
        gettext("Undone: %(number)s is a lead of its own again.") % {"number": restored.number},
    )
    return redirect("lead", lead_id=restored.pk)

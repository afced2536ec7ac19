"""Import (LEAD-CAP-2): upload a file, watch its progress, download its errors."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_response
from leadflow.core.ui import (
    form_error,
    kept_upload,
    permission_required,
)

from ..bulk.importer import opened_row, template_csv
from ..forms import (
    ImportForm,
)
from ..imports import import_start
from ..models import (
    ImportBatch,
)
from ..permissions import (
    LEADS_IMPORT,
)


@permission_required(LEADS_IMPORT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            form.add_error("file", gettext("Use a .csv or .xlsx file."))
        else:
            try:
                with kept_upload(upload) as path:
                    batch = import_start(
                        path=path,
                        file_name=upload.name,
                        basis=form.cleaned_data["basis"],
                        channel=form.cleaned_data["channel"],
                        by=request.user,
                    )
            except DomainError as error:
                form_error(form, error)
            else:
                return redirect("lead_import_batch", batch_id=batch.pk)
    batches = ImportBatch.objects.filter(created_by=request.user)[:20]
    return render(request, "leads/import.html", {"form": form, "batches": batches})


@permission_required(LEADS_IMPORT)
def import_batch_page(request, batch_id: int):
    batch = get_object_or_404(ImportBatch, pk=batch_id, created_by=request.user)
    template = (
        "leads/import_progress.html"
        if request.headers.get("HX-Request")
        else "leads/import_batch.html"
    )
    return render(request, template, {"batch": batch})


@permission_required(LEADS_IMPORT)
def import_errors(request, batch_id: int):
    batch = get_object_or_404(ImportBatch, pk=batch_id, created_by=request.user)
    return export_response(
        user=request.user,
        name=f"import-{batch.pk}-errors",
        fmt=request.GET.get("format", "csv"),
        headers=[gettext("Row"), gettext("Field"), gettext("Reason"), gettext("The row as sent")],
        rows=(
            [e["row"], e["field"], e["reason"], opened_row(e.get("original", ""))]
            for e in batch.errors
        ),
    )


@login_required
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leadflow-leads-template.csv"'
    return response

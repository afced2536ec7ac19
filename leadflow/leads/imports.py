"""Imports started from the web UI run as background tasks with visible progress."""

from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext
from django_tasks import task

from leadflow.core.errors import ValidationFailed

from .bulk.importer import count_rows, import_leads, read_rows
from .models import Channel, ImportBatch


@transaction.atomic
def import_start(
    *, path: Path, file_name: str, basis: str, channel: Channel | None, by
) -> ImportBatch:
    """Record the upload and queue its import; the page then follows its progress."""
    if not basis.strip():
        raise ValidationFailed(
            gettext("State the lawful basis for the file."), fields={"basis": gettext("required")}
        )
    next(read_rows(path), None)  # refuses a file without a header row it understands, now
    batch = ImportBatch.objects.create(
        file_name=file_name[:255],
        stored_path=str(path),
        channel=channel,
        lawful_basis=basis.strip(),
        rows_total=count_rows(path),
        created_by=by,
    )
    run_import.enqueue(batch.pk)
    return batch


@task()
def run_import(batch_id: int) -> dict:
    batch = ImportBatch.objects.select_related("channel", "created_by").get(pk=batch_id)
    if batch.state != ImportBatch.State.QUEUED:
        return {"skipped": batch.state}  # a retried task never imports twice
    summary = import_leads(
        path=Path(batch.stored_path),
        basis=batch.lawful_basis,
        channel_code=batch.channel.code if batch.channel else "",
        by=batch.created_by,
        batch=batch,
    )
    return {key: value for key, value in summary.as_dict().items() if key != "errors"}

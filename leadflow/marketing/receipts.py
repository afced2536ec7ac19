"""Receipts of expense claims (MKT-6): uploads checked and stored by the platform's
`core.uploads`, under each claim's own folder, capped by the marketing setting."""

from pathlib import Path

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core import uploads
from leadflow.core.company_settings import define, get_settings
from leadflow.core.uploads import Upload

define(
    "marketing.receipt_max_mb",
    10,
    "int",
    _("Largest receipt file (MB)"),
    _("Marketing"),
    minimum=1,
)
Receipt = Upload
PLACE = "claims"


def checked_receipts(files) -> list[Upload]:
    """Each uploaded file as a receipt, or ValidationFailed naming the file and why."""
    limit = get_settings("marketing.")["marketing.receipt_max_mb"]
    return uploads.checked_uploads(
        files, max_mb=limit, refusal=gettext("The receipts were not accepted.")
    )


def store(claim_id: int, receipt: Upload) -> str:
    return uploads.store(PLACE, claim_id, receipt)


def stored_path(claim_id: int, stored_name: str) -> Path:
    return uploads.stored_path(PLACE, claim_id, stored_name)

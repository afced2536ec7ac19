"""Receipts of expense claims (MKT-6): images or PDFs, checked by what the file is (its
first bytes, not its name or the browser's word), capped in size, stored under the data
folder with a name we make (nothing of the upload's path reaches the disk), and read
back only through a view that checks who asks."""

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import ValidationFailed

define(
    "marketing.receipt_max_mb",
    10,
    "int",
    _("Largest receipt file (MB)"),
    _("Marketing"),
    minimum=1,
)
# (first bytes, extension, content type)
KINDS = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"%PDF-", "pdf", "application/pdf"),
)
MAX_FILES = 10
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class Receipt:
    original_name: str
    content: bytes
    extension: str
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def display_name(name: str) -> str:
    """The upload's own name, for people to read: no folders, no control characters."""
    base = re.split(r"[/\\]", name or "")[-1]
    return _UNSAFE.sub("_", base).strip(" .")[:200] or "receipt"


def checked_receipts(files) -> list[Receipt]:
    """Each uploaded file as a Receipt, or ValidationFailed naming the file and why."""
    files = list(files)
    limit = get_settings("marketing.")["marketing.receipt_max_mb"] * 1024 * 1024
    errors: dict[str, str] = {}
    if len(files) > MAX_FILES:
        errors["files"] = gettext("at most %(n)s files") % {"n": MAX_FILES}
    receipts = []
    for upload in files[:MAX_FILES]:
        name = display_name(getattr(upload, "name", ""))
        if upload.size > limit:
            errors[name] = gettext("larger than %(mb)s MB") % {"mb": limit // (1024 * 1024)}
            continue
        content = upload.read()
        kind = next((k for k in KINDS if content.startswith(k[0])), None)
        if kind is None:
            errors[name] = gettext("not a JPEG, PNG or PDF file")
            continue
        receipts.append(Receipt(name, content, kind[1], kind[2]))
    if errors:
        raise ValidationFailed(gettext("The receipts were not accepted."), fields=errors)
    return receipts


def receipts_folder(claim_id: int) -> Path:
    return Path(settings.VAR_DIR) / "attachments" / "claims" / str(int(claim_id))


def store(claim_id: int, receipt: Receipt) -> str:
    """Write the receipt under the claim's folder; the stored name (ours)."""
    folder = receipts_folder(claim_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.{receipt.extension}"
    (folder / stored).write_bytes(receipt.content)
    return stored


def stored_path(claim_id: int, stored_name: str) -> Path:
    """The file of a stored receipt; refuses a name that is not one we made."""
    if not re.fullmatch(r"[0-9a-f]{32}\.(jpg|png|pdf)", stored_name):
        raise ValueError(f"{stored_name!r} is not a stored receipt name")
    return receipts_folder(claim_id) / stored_name

"""Uploaded files (receipts of expense claims, attachments of service tickets): checked by
what the file is (its first bytes, not its name or the browser's word), capped in size,
stored under the data folder in a place of their own with a name we make (nothing of the
upload's path reaches the disk), and read back only through a view that checks who asks."""

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext

from .errors import ValidationFailed

# (first bytes, extension, content type)
KINDS = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"%PDF-", "pdf", "application/pdf"),
)
MAX_FILES = 10
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_STORED = re.compile(r"[0-9a-f]{32}\.(jpg|png|pdf)")


@dataclass(frozen=True)
class Upload:
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
    return _UNSAFE.sub("_", base).strip(" .")[:200] or "file"


def checked_uploads(files, *, max_mb: int, refusal: str = "") -> list[Upload]:
    """Each uploaded file as an Upload, or ValidationFailed (its message `refusal`) naming
    the file and why."""
    files = list(files)
    limit = max_mb * 1024 * 1024
    errors: dict[str, str] = {}
    if len(files) > MAX_FILES:
        errors["files"] = gettext("at most %(n)s files") % {"n": MAX_FILES}
    uploads = []
    for upload in files[:MAX_FILES]:
        name = display_name(getattr(upload, "name", ""))
        if upload.size > limit:
            errors[name] = gettext("larger than %(mb)s MB") % {"mb": max_mb}
            continue
        content = upload.read()
        kind = next((k for k in KINDS if content.startswith(k[0])), None)
        if kind is None:
            errors[name] = gettext("not a JPEG, PNG or PDF file")
            continue
        uploads.append(Upload(name, content, kind[1], kind[2]))
    if errors:
        raise ValidationFailed(refusal or gettext("The files were not accepted."), fields=errors)
    return uploads


def _folder(place: str, owner_id: int) -> Path:
    return Path(settings.VAR_DIR) / "attachments" / place / str(int(owner_id))


def store(place: str, owner_id: int, upload: Upload) -> str:
    """Write the file under its owner's folder (e.g. "claims", 12); the stored name (ours)."""
    folder = _folder(place, owner_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.{upload.extension}"
    (folder / stored).write_bytes(upload.content)
    return stored


def stored_path(place: str, owner_id: int, stored_name: str) -> Path:
    """The file of a stored upload; refuses a name that is not one we made."""
    if not _STORED.fullmatch(stored_name):
        raise ValueError(f"{stored_name!r} is not a stored file name")
    return _folder(place, owner_id) / stored_name


def stored_file_response(path: Path, *, content_type: str, name: str):
    """A stored upload sent back as a file, never rendered as a page: PDFs download,
    images show, and the browser is told not to guess or run anything in it. Http404
    when the file is gone or the name is not one we made."""
    from django.http import FileResponse, Http404

    try:
        handle = path.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=content_type == "application/pdf",
        filename=name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response

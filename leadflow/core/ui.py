"""Small pieces every server-rendered page uses."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.core.paginator import Paginator
from django.utils import timezone

from .errors import DomainError


def permission_required(code: str):
    """Sign-in and permission `code`, or 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(request, *args, **kwargs):
            if not request.user.has_permission(code):
                raise PermissionDenied(code)
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def form_error(form, error: DomainError) -> None:
    """Show a refused service call on the form: each field's reason beside the field."""
    placed = False
    for field, reason in error.fields.items():
        if field in form.fields:
            form.add_error(field, reason)
            placed = True
    if not placed or error.message:
        form.add_error(None, error.message)


def refused_message(request, error: DomainError) -> None:
    """A refused service call behind a button: its message and each field's reason."""
    reasons = "; ".join(f"{field}: {reason}" for field, reason in error.fields.items())
    messages.error(request, f"{error.message} {reasons}".strip())


def invalid_form_message(request, form) -> None:
    """A small form posted from a page that shows it again: its errors as one message."""
    messages.error(
        request,
        "; ".join(
            f"{name}: {' '.join(str(error) for error in errors)}"
            for name, errors in form.errors.items()
        ),
    )


def page_of(request, queryset, per_page: int = 50):
    """A page of an admin-sized table (hundreds of rows); large tables use cursor paging."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@contextmanager
def kept_upload(upload, *, prefix: str = "") -> Iterator[Path]:
    """An uploaded file stored under MEDIA_ROOT/imports for a background import; removed
    again when the import refuses it (DomainError), so no refused file stays on disk."""
    storage = FileSystemStorage(location=settings.MEDIA_ROOT / "imports")
    suffix = Path(upload.name).suffix.lower()
    stored = storage.save(f"{prefix}{timezone.now():%Y%m%d-%H%M%S}{suffix}", upload)
    try:
        yield Path(storage.path(stored))
    except DomainError:
        storage.delete(stored)
        raise

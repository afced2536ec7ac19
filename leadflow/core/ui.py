"""Small pieces every server-rendered page uses."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

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

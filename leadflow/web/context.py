from leadflow.core.permissions import DATA_EXPORT
from leadflow.notify.inbox import unread_count

from .navigation import navigation


class Can:
    """Permission checks for templates: `{% if can.leads_import %}` asks for "leads.import"."""

    def __init__(self, user):
        self.user = user

    def __getattr__(self, name: str) -> bool:
        return self.user.has_permission(name.replace("_", ".", 1))


def shell(request) -> dict:
    """What every page's frame needs: the sidebar and the bell count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": navigation(user, request.path),
        "unread_count": unread_count(user),
        "can_export": user.has_permission(DATA_EXPORT),
        "can": Can(user),
    }

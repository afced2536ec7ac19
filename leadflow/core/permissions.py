"""The catalogue of permission codes a role can hold. Each area declares its own with
`permission(...)`; a role stores a list of codes (or "*" for everything)."""

from django.utils.translation import gettext_lazy as _

from .errors import Forbidden

PERMISSIONS: dict[str, object] = {}


def permission(code: str, label) -> str:
    PERMISSIONS[code] = label
    return code


ACCOUNTS_MANAGE = permission("accounts.manage", _("Manage users, departments, teams and roles"))
SETTINGS_MANAGE = permission("settings.manage", _("Change company settings and holidays"))
AUDIT_VIEW = permission("audit.view", _("Read the audit log"))
DATA_EXPORT = permission("data.export", _("Export tables to XLSX / CSV"))
NOTIFY_MANAGE = permission("notify.manage", _("Configure robot webhooks and read delivery logs"))


def require(user, code: str) -> None:
    """Raise Forbidden unless `user` holds permission `code`."""
    if user is None or not user.is_authenticated or not user.has_permission(code):
        raise Forbidden(f"This needs the permission {code!r}.", code="permission_denied")

"""Data scope (SEC-1): the one place that decides which records a user may see.

Every list, detail, export, report and API query over owned records goes through
`visible_to`, so the rule holds the same for the UI, the API and files.
"""

from django.db.models import Q, QuerySet

from .models import DataScope, User

NOTHING = Q(pk__in=[])


def scope_filter(user, *, owner_field: str = "owner", scope: str = "") -> Q:
    """A Q object selecting the records whose `owner_field` user is within `user`'s sight:
    their role's data scope, or `scope` (a role's lead scope) when given."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    scope = scope or user.data_scope
    own = Q(**{owner_field: user.pk})
    if scope == DataScope.ALL:
        return Q()
    # The people in sight as a subquery (`owner IN (SELECT id …)`), not a join to every
    # record's owner: the database finds them once and reads the records by owner.
    if scope == DataScope.TEAM and user.team_id:
        people = User.objects.filter(team_id=user.team_id)
        return own | Q(**{f"{owner_field}__in": people.values("pk")})
    if scope == DataScope.DEPARTMENT and user.department_id:
        people = User.objects.filter(department__path__startswith=user.department.path)
        return own | Q(**{f"{owner_field}__in": people.values("pk")})
    return own


def visible_to(user, queryset: QuerySet, *, owner_field: str = "owner") -> QuerySet:
    return queryset.filter(scope_filter(user, owner_field=owner_field))

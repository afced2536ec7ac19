"""What the engine knows of a subject: a `Kind`, registered by the subject's own app
(leads, customers, marketing …) when it starts. The engine calls it and never imports
the app, so an approval's outcome is the subject's business: an approved access request
becomes a share, an approved campaign plan may start. A kind may also define
`on_progress(request)`, called whenever its request moves (submitted, a step passed,
returned, withdrawn), to follow it in the subject's own state.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Choice:
    """Something an approver may choose when approving (e.g. the rep a lead goes to)."""

    name: str
    label: object
    options: list[tuple[int | str, str]] = field(default_factory=list)  # (value, label)


class Kind(Protocol):
    @property
    def code(self) -> str:
        """The Flow.kind it runs on."""

    @property
    def label(self) -> object:
        """What a person calls it, e.g. _("Lead reassignment")."""

    def snapshot(self, subject: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """What the approvers are asked to approve, as plain JSON values."""

    def amount(self, subject: Any, values: Mapping[str, Any]) -> Decimal | None:
        """The amount a step's condition compares, if the kind has one."""

    def visible_to(self, subject: Any, user) -> bool:
        """Whether `user` sees the subject (for steps decided by a permission)."""

    def url(self, subject: Any) -> str:
        """Where the subject's own page is."""

    def choices(self, subject: Any, by) -> list[Choice]:
        """What the approver of the last step may choose when approving."""

    def on_approved(self, request, *, by, choices: Mapping[str, Any]) -> dict[str, Any]:
        """The subject's app acts on the final approval; what it did, kept on the request."""

    def on_closed(self, request, *, by) -> None:
        """The request ended without approval (rejected or withdrawn)."""


_KINDS: dict[str, Kind] = {}
# Every kind the seeded flows name, so a flow shows its name before its app is built.
KIND_LABELS: dict[str, object] = {
    "lead_reassign": _("Lead reassignment"),
    "customer_access": _("Access to a customer"),
    "campaign_plan": _("Campaign plan"),
    "contract": _("Contract"),
    "contract_change": _("Contract change"),
    "contract_termination": _("Contract termination"),
    "expense_claim": _("Expense claim"),
    "budget": _("Marketing budget"),
    "research_plan": _("Market research plan"),
    "research_report": _("Market research report"),
    "sales_target": _("Sales targets"),
}


def register_kind(kind: Kind) -> Kind:
    _KINDS[kind.code] = kind
    return kind


def kind_of(code: str) -> Kind | None:
    return _KINDS.get(code)


def kind_label(code: str) -> object:
    kind = _KINDS.get(code)
    return kind.label if kind else KIND_LABELS.get(code, code)


class YearVersionKind:
    """What a kind does whose subject is one version of a year's plan (the marketing
    budget, the sales targets): its state follows the request, and once approved it is
    the version in force, the one before it kept as superseded. The subject's model has
    year, version, state (draft, pending, approved, superseded, rejected) and
    approved_at."""

    model: Any  # the subject's model class

    def _set(self, request, state: str, **more: Any) -> None:
        self.model.objects.filter(pk=request.subject_id).update(state=state, **more)

    def on_progress(self, request) -> None:
        if request.state in ("returned", "withdrawn"):
            self._set(request, "draft")

    def on_approved(self, request, *, by, choices: Mapping[str, Any]) -> dict[str, Any]:
        subject = self.model.objects.select_for_update().get(pk=request.subject_id)
        self.model.objects.filter(year=subject.year, state="approved").update(state="superseded")
        self._set(request, "approved", approved_at=timezone.now())
        return {"in_force": f"{subject.year} v{subject.version}"}

    def on_closed(self, request, *, by) -> None:
        self._set(request, "rejected" if request.state == "rejected" else "draft")

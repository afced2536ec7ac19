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

"""Templates rendered in a sandbox (AUT-3): Django's template language on an engine with
no loaders and no tag libraries, over a context of plain strings — the lead's and the
owner's listed fields, nothing else. `{{ lead.name }}`, `{{ owner.name }}`, and
`{{ lead.contact_name|default:"客户" }}` for an empty value. A template that reaches for
anything else (`{% load %}`, `{% include %}`, a field not listed) is refused when it is
saved, with the reason."""

import functools
import re
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, VariableNode
from django.utils.translation import gettext

from leadflow.core.errors import ValidationFailed

# What a template may use, by name: every value a plain string.
LEAD_FIELDS = ("name", "contact_name", "contact_title", "industry", "region", "need", "number")
OWNER_FIELDS = ("name", "email", "title")
ALLOWED = {"lead": LEAD_FIELDS, "owner": OWNER_FIELDS, "company": ("name",)}
# Tags that would reach outside the context (other templates, the URL map, the whole
# context) and filters that would let a lead's own text through unescaped.
FORBIDDEN_NODES = {
    "IncludeNode": "include",
    "ExtendsNode": "extends",
    "BlockNode": "block",
    "DebugNode": "debug",
    "URLNode": "url",
    "LoadNode": "load",
    "CsrfTokenNode": "csrf_token",
}
FORBIDDEN_FILTERS = {"safe", "safeseq"}

_LOAD = re.compile(r"\{%\s*load\b")
_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=True)
_TEXT_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def _check(source: str) -> list[str]:
    """Why this source cannot be a template ([] when it can)."""
    if _LOAD.search(source):
        return [gettext("the tag %(tag)s is not allowed") % {"tag": "load"}]
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        return [gettext("not a valid template: %(error)s") % {"error": error}]
    problems = [
        gettext("the tag %(tag)s is not allowed") % {"tag": FORBIDDEN_NODES[type(node).__name__]}
        for node in template.nodelist.get_nodes_by_type(Node)
        if type(node).__name__ in FORBIDDEN_NODES
    ]
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        assert isinstance(node, VariableNode)
        for function, _arguments in node.filter_expression.filters:
            if getattr(function, "__name__", "") in FORBIDDEN_FILTERS:
                problems.append(
                    gettext("the filter %(name)s is not allowed") % {"name": function.__name__}
                )
        variable = node.filter_expression.var
        lookups = getattr(variable, "lookups", None)
        if not lookups:
            continue  # a literal
        if len(lookups) != 2 or lookups[1] not in ALLOWED.get(lookups[0], ()):
            problems.append(gettext("%(name)s is not a merge field") % {"name": ".".join(lookups)})
    return problems


def template_check(*, subject: str, html: str, text: str) -> None:
    """ValidationFailed naming each part that reaches outside the merge fields."""
    errors = {}
    for field, source in (("subject", subject), ("html", html), ("text", text)):
        if problems := _check(source):
            errors[field] = "；".join(problems)
    if errors:
        raise ValidationFailed(gettext("The template was not saved."), fields=errors)


def merge_context(lead: Any, owner: Any, company: str) -> dict[str, dict[str, str]]:
    """The only values a template sees, as plain strings."""
    return {
        "lead": {name: str(getattr(lead, name, "") or "") for name in LEAD_FIELDS},
        "owner": {
            "name": str(getattr(owner, "display_name", "") or getattr(owner, "username", ""))
            if owner
            else "",
            "email": str(getattr(owner, "email", "") or "") if owner else "",
            "title": str(getattr(getattr(owner, "role", None), "name", "") or "") if owner else "",
        },
        "company": {"name": company},
    }


@functools.lru_cache(maxsize=256)
def _compiled(source: str, *, html: bool):
    """A template's text compiled once per process (a send renders it for every lead)."""
    return (_ENGINE if html else _TEXT_ENGINE).from_string(source)


def render(template: Any, context: dict[str, dict[str, str]]) -> Rendered:
    values = Context(context, autoescape=True)
    plain = Context(context, autoescape=False)
    return Rendered(
        subject=" ".join(_compiled(template.subject, html=False).render(plain).split()),
        html=_compiled(template.html, html=True).render(values),
        text=_compiled(template.text, html=False).render(plain),
    )

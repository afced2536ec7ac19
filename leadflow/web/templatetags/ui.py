from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from leadflow.core import display
from leadflow.core.audit import action_label, audit_sentence, object_reference
from leadflow.leads.models import ScoreRule, Stage

EVENT_LABELS = dict(ScoreRule.Event.choices)

register = template.Library()

# Simple line icons, 24×24, drawn for leadflow.
ICONS = {
    "home": '<path d="M3 11 12 4l9 7"/><path d="M5 10v10h14V10"/><path d="M10 20v-6h4v6"/>',
    "inbox": '<path d="M3 13h5l2 3h4l2-3h5"/><path d="M5 5h14l2 8v6H3v-6z"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c.8-3.5 3.4-5.5 6.5-5.5s5.7 2 6.5 5.5"/>'
    '<path d="M16 4.6a3.5 3.5 0 0 1 0 6.8"/><path d="M18 14.8c1.8.7 3 2.5 3.5 5.2"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4.2-6 8-6s7 2 8 6"/>',
    "trending": '<path d="M3 17 9 11l4 4 8-8"/><path d="M15 7h6v6"/>',
    "lifebuoy": '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="4"/>'
    '<path d="m5.6 5.6 3.6 3.6M14.8 14.8l3.6 3.6M18.4 5.6l-3.6 3.6M9.2 14.8l-3.6 3.6"/>',
    "megaphone": '<path d="M3 10v4h4l8 5V5L7 10z"/><path d="M18 9a4 4 0 0 1 0 6"/>',
    "zap": '<path d="M13 2 4 14h7l-1 8 9-12h-7z"/>',
    "chart": '<path d="M4 20V10M10 20V4M16 20v-7M22 20H2"/>',
    "tree": '<rect x="9" y="3" width="6" height="5" rx="1"/><rect x="3" y="16" width="6" height="5" rx="1"/>'
    '<rect x="15" y="16" width="6" height="5" rx="1"/><path d="M12 8v4M6 16v-4h12v4"/>',
    "shield": '<path d="M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6z"/>',
    "sliders": '<path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0"/><circle cx="16" cy="6" r="2"/>'
    '<circle cx="10" cy="12" r="2"/><circle cx="18" cy="18" r="2"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>',
    "bot": '<rect x="4" y="8" width="16" height="12" rx="3"/><path d="M12 4v4"/><circle cx="9" cy="14" r="1.3"/>'
    '<circle cx="15" cy="14" r="1.3"/>',
    "send": '<path d="M22 2 11 13"/><path d="M22 2 15 22l-4-9-9-4z"/>',
    "eye": '<path d="M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>',
    "bell": '<path d="M6 8a6 6 0 0 1 12 0c0 7 3 8 3 8H3s3-1 3-8"/><path d="M10 20a2 2 0 0 0 4 0"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="m16 17 5-5-5-5M21 12H9"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "download": '<path d="M12 3v12M7 10l5 5 5-5M4 21h16"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-4-4"/>',
    "check": '<path d="m5 12 5 5 9-10"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9M17 6l3 3"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
}


@register.simple_tag
def icon(name: str) -> str:
    return format_html(
        '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">{}</svg>',
        mark_safe(ICONS.get(name, ICONS["home"])),  # noqa: S308 - constant markup above
    )


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple)


@register.filter
def initials(user) -> str:
    name = str(user)
    return name[:1].upper() if name else "?"


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagers and exports)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


STAGE_LABELS = dict(Stage.choices)


@register.filter
def stage_label(code: str) -> str:
    """A stage code (initial, needs …) as people say it; empty stays empty."""
    return str(STAGE_LABELS.get(code, code)) if code else ""


@register.filter
def event_label(kind: str) -> str:
    """A timeline event kind as people say it (what a lead did, for scoring)."""
    return str(EVENT_LABELS.get(kind, kind))


@register.filter(name="audit_sentence")
def audit_sentence_filter(entry) -> str:
    return audit_sentence(entry)


@register.filter(name="object_reference")
def object_reference_filter(entry) -> str:
    return object_reference(entry)


@register.filter(name="action_label")
def action_label_filter(code: str) -> str:
    return action_label(code)


@register.filter
def times(count: int) -> range:
    return range(count or 0)


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template (a dict keyed by something computed), "" when absent."""
    if not hasattr(mapping, "get"):
        return ""
    return mapping.get(key, mapping.get(str(key), ""))


@register.filter
def money(value) -> str:
    """¥1,500,000.00 or 150.00 万, as the company settings say."""
    return display.money(value)


@register.filter
def phone(value) -> str:
    """138 0013 8000."""
    return display.phone(value)


@register.filter
def percent(value, kind: str = "") -> str:
    """12.3 %; `|percent:"ratio"` for 0.123."""
    return display.percent(value, ratio=kind == "ratio")


@register.filter
def clamp_percent(value) -> int:
    """A width for a progress bar: 0–100."""
    try:
        return max(0, min(100, int(float(value))))
    except (TypeError, ValueError):
        return 0


_STATUS_TONES = {"to_assign": "info", "to_verify": "warn", "non_target": "", "pool": "info"}
_STAGE_TONES = {"won": "ok", "invalid": "bad", "lost": "bad", "paused": "warn"}


@register.simple_tag
def lead_badge(lead) -> str:
    """A lead's state as a badge: its stage once it is worked (成交, not 已接受), a warning
    when it goes back to the pool soon. Python, not an include: a list shows fifty."""
    if lead.status == "accepted" and lead.pool_warned:
        return format_html('<span class="badge warn">{}</span>', _("Going back to the pool soon"))
    if lead.status == "accepted" and lead.stage:
        return format_html(
            '<span class="badge {}" title="{}">{}</span>',
            _STAGE_TONES.get(lead.stage, "info"),
            lead.get_status_display(),
            lead.get_stage_display(),
        )
    tone = _STATUS_TONES.get(lead.status, "" if lead.status == "merged" else "ok")
    title = lead.non_target_reason if lead.status == "non_target" else ""
    return format_html(
        '<span class="badge {}" title="{}">{}</span>', tone, title, lead.get_status_display()
    )

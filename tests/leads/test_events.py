"""A lead's timeline has one writer (DESIGN, #18): one function per kind in leads.events,
every kind listed with its payload, and no other code writes a LeadEvent."""

import inspect
import re
from pathlib import Path

import pytest
from django.utils import timezone

from leadflow.leads import events
from leadflow.leads.models import LeadEvent, ScoreRule

LEADFLOW = Path(events.__file__).resolve().parents[1]
WRITES = re.compile(
    r"(?<!class )LeadEvent\(|LeadEvent\.objects\.(create|bulk_create|update_or_create)"
    r"|INSERT INTO \{LeadEvent\._meta\.db_table\}|leads_leadevent"
)
# The kind each writer function of leads.events passes to its private writers.
WRITTEN_KIND = re.compile(r'_(?:record|records|step)\(\s*(?:\w+, )?"(\w+)"')


def _sources():
    for path in LEADFLOW.rglob("*.py"):
        if "migrations" not in path.parts:
            yield path.relative_to(LEADFLOW).as_posix(), path.read_text(encoding="utf-8")


def test_no_code_writes_a_lead_event_except_leads_events():
    # SPEC: LEAD-SCR-4 (every change explained and kept) — one fact, recorded once
    writers = [name for name, text in _sources() if WRITES.search(text)]
    assert writers == ["leads/events.py"]
    private = re.compile(r"events\._|from \.events import [^\n]*\b_\w")
    assert [name for name, text in _sources() if private.search(text)] == []


def test_every_listed_kind_has_its_own_writer_and_no_writer_an_unlisted_kind():
    # SPEC: LEAD-SCR-4 — the kinds automation reads are the ones the writers write
    written = set(WRITTEN_KIND.findall(inspect.getsource(events)))
    assert written | set(ScoreRule.Event.values) == events.KINDS.keys()
    assert all(events.KINDS.values()), "every kind documents its payload"


@pytest.mark.django_db
def test_an_unlisted_kind_is_refused_on_every_path(capture):
    lead = capture().lead
    with pytest.raises(ValueError, match="not an activity"):
        events.activity_recorded(lead, kind="made_up", data={})
    at = timezone.now().isoformat()
    with pytest.raises(ValueError, match="not a lead event kind"):
        events.timeline_rows_insert([(lead.pk, at, "made_up", None, {})])
    assert not LeadEvent.objects.filter(kind="made_up").exists()


@pytest.mark.django_db
def test_a_writer_stores_the_payload_its_kind_documents(capture, admin_user):
    # SPEC: LEAD-FUP-1 — the follow-up event names its next due time as documented
    lead = capture().lead
    now = timezone.now()
    event = events.followed_up(
        lead,
        method="phone",
        contact_at=now,
        intent="high",
        next_step="报价",
        next_due_at=None,
        late=False,
        by=admin_user,
    )
    documented = {name.strip() for name in events.KINDS["followed_up"].split(",")}
    assert set(event.data) == documented

"""A lead's timeline has one writer (DESIGN, #18): every kind listed with its payload in
leads.events, and no other code writes a LeadEvent."""

import re
from pathlib import Path

import pytest

from leadflow.leads import events
from leadflow.leads.models import LeadEvent

LEADFLOW = Path(events.__file__).resolve().parents[1]
WRITES = re.compile(
    r"(?<!class )LeadEvent\(|LeadEvent\.objects\.(create|bulk_create|update_or_create)"
)
# The importer's bulk SQL insert names its kinds literally: they must be listed kinds.
BULK_KINDS = re.compile(r'"(\w+)", by_id, _json')


def test_no_code_writes_a_lead_event_except_leads_events():
    # SPEC: LEAD-SCR-4 (every change explained and kept) — one fact, recorded once
    writers = [
        path.relative_to(LEADFLOW).as_posix()
        for path in LEADFLOW.rglob("*.py")
        if "migrations" not in path.parts and WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert writers == ["leads/events.py"]
    importer = (LEADFLOW / "leads" / "importer.py").read_text(encoding="utf-8")
    assert set(BULK_KINDS.findall(importer)) <= events.KINDS.keys()


@pytest.mark.django_db
def test_an_unlisted_kind_is_refused(capture):
    lead = capture().lead
    with pytest.raises(ValueError, match="not a lead event kind"):
        events.timeline_event_record(lead=lead, kind="made_up")
    assert not LeadEvent.objects.filter(kind="made_up").exists()

"""A customer's timeline has one writer (CUS-4, #18): customers.events, its kinds listed."""

import re
from pathlib import Path

import pytest

from leadflow.customers import events
from leadflow.customers.models import CustomerEvent
from leadflow.customers.profiles import customer_create

LEADFLOW = Path(events.__file__).resolve().parents[1]
WRITES = re.compile(r"(?<!class )CustomerEvent\(|CustomerEvent\.objects\.(create|bulk_create)")
USED_KINDS = re.compile(r'customer_event_record\(\s*[\w.]+,\s*"(\w+)"')


def test_no_code_writes_a_customer_event_except_customers_events():
    # SPEC: CUS-4 — every step of a customer on its timeline, written one way
    sources = {
        path.relative_to(LEADFLOW).as_posix(): path.read_text(encoding="utf-8")
        for path in LEADFLOW.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert [name for name, text in sources.items() if WRITES.search(text)] == [
        "customers/events.py"
    ]
    used = {kind for text in sources.values() for kind in USED_KINDS.findall(text)}
    assert used
    assert used <= events.KINDS.keys()


@pytest.mark.django_db
def test_an_unlisted_customer_event_kind_is_refused(make_user):
    rep = make_user()
    customer = customer_create(values={"name": "某公司"}, by=rep)
    with pytest.raises(ValueError, match="not a customer event kind"):
        events.customer_event_record(customer, "made_up", rep, {})
    assert not CustomerEvent.objects.filter(kind="made_up").exists()

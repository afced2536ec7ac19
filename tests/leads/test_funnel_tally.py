"""The funnel tally (ANA-2, bench/funnel.py): the database's triggers keep it equal to a
count of the leads through every kind of change, and folding it never loses a count."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from leadflow.leads.assignment import lead_accept, lead_assign_manual
from leadflow.leads.bulk.funnel_tally import fold_funnel_tally, recount_funnel_tally
from leadflow.leads.capture import lead_merge
from leadflow.leads.models import Channel, FunnelTally, Lead, LeadStatus
from leadflow.leads.pool import return_idle_leads
from leadflow.leads.stages import lead_stage_set
from tests.leads.conftest import accepted_lead, twice_at_once

pytestmark = pytest.mark.django_db
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def tallied() -> dict[tuple, int]:
    """{(UTC month, channel, owner, furthest stage): leads} as the tally sums it."""
    rows = (
        FunnelTally.objects.order_by()
        .values_list("month", "channel_id", "owner_id", "furthest_stage")
        .annotate(n=Sum("leads"))
    )
    return {tuple(key): n for *key, n in rows if n}


def counted() -> dict[tuple, int]:
    """The same, counted from the live worked leads themselves."""
    leads = Lead.objects.exclude(status=LeadStatus.MERGED).exclude(furthest_stage="")
    return dict(
        Counter(
            (
                lead.acquired_at.astimezone(UTC).date().replace(day=1),
                lead.channel_id,
                lead.owner_id,
                lead.furthest_stage,
            )
            for lead in leads
        )
    )


def test_every_change_of_a_worked_lead_moves_its_count(capture, rep, make_user):
    # SPEC: ANA-2 — the funnel's rollup stays exact whatever changes a lead.
    other = make_user(team=rep.team, display_name="王芳")
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
        assert (
            tallied()
            == counted()
            == {(MONDAY_10AM.date().replace(day=1), lead.channel_id, rep.pk, "initial"): 1}
        )
        capture(name="未分配公司", mobile="13900139001", email="")  # not worked: not counted
        assert tallied() == counted()
        lead_stage_set(lead=lead, stage="needs", fact="需求明确", by=rep)
        assert tallied() == counted()
        lead_assign_manual(lead=lead, rep=other, reason="调岗", by=rep.team.leader)
        lead_accept(lead=lead, by=other)
        assert tallied() == counted()
        twin = accepted_lead(capture, rep, name="另一家公司", mobile="13700137000", email="")
        lead_merge(survivor=lead, merged=twin, reason="同一客户")
        assert tallied() == counted()
        # Bulk SQL, as the importer and the sweeps write, is counted the same.
        Lead.objects.filter(pk=lead.pk).update(channel=Channel.objects.get(code="S"))
        assert tallied() == counted()
    with time_machine.travel(MONDAY_10AM + timedelta(days=40), tick=False):
        third = accepted_lead(capture, rep, name="四月公司", mobile="13600136000", email="")
        return_idle_leads(MONDAY_10AM + timedelta(days=50))  # idle ones go back: no owner
        assert Lead.objects.get(pk=lead.pk).owner_id is None
        assert tallied() == counted()
        Lead.objects.filter(pk=third.pk).delete()
        assert tallied() == counted()
        assert len(counted()) == 1


def test_folding_keeps_the_sums_and_leaves_one_row_per_key(capture, rep):
    # SPEC: ANA-2 — the minute sweep folds the changes of a month into its totals.
    with time_machine.travel(MONDAY_10AM, tick=False):
        leads = [
            accepted_lead(capture, rep, name=f"折叠公司{n}", mobile=f"1390013900{n}", email="")
            for n in range(3)
        ]
        for lead in leads[:2]:
            lead_stage_set(lead=lead, stage="needs", fact="需求明确", by=rep)
    before = tallied()
    assert FunnelTally.objects.filter(fresh=True).count() == 7  # 3 accepted, 2 × (−1, +1)
    assert fold_funnel_tally(MONDAY_10AM) == {"months": 1}
    assert tallied() == before == counted()
    assert sorted(FunnelTally.objects.values_list("furthest_stage", "leads", "fresh")) == [
        ("initial", 1, False),
        ("needs", 2, False),
    ]
    assert fold_funnel_tally(MONDAY_10AM) == {"months": 0}  # nothing new: nothing done


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_folding_at_once_count_each_change_once(capture, make_user):
    # SPEC: ANA-2 — several workers may sweep the same minute. (Leads worked by plain
    # updates: a transactional test empties the database after, and the audit log that
    # the services write refuses deletes.)
    rep = make_user()
    with time_machine.travel(MONDAY_10AM, tick=False):
        ids = [
            capture(name=f"并发公司{n}", mobile=f"1380013800{n}", email="").lead.pk
            for n in range(5)
        ]
    worked = Lead.objects.filter(pk__in=ids)
    worked.update(owner=rep, status=LeadStatus.ACCEPTED, furthest_stage="initial")
    worked.filter(pk__in=ids[:3]).update(furthest_stage="needs")
    before = counted()
    twice_at_once(lambda: fold_funnel_tally(MONDAY_10AM))
    assert tallied() == before
    assert FunnelTally.objects.filter(fresh=True).count() == 0
    assert FunnelTally.objects.count() == len(before) == 2


def test_a_recount_rebuilds_the_tally_from_the_leads(capture, rep):
    # SPEC: ANA-2 — after a restore (worked leads written by INSERT, no trigger), one call
    # makes the tally exact again.
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
        lead_stage_set(lead=lead, stage="needs", fact="需求明确", by=rep)
    FunnelTally.objects.all().delete()
    assert tallied() != counted()
    assert recount_funnel_tally() == 1
    assert tallied() == counted()
    assert not FunnelTally.objects.filter(fresh=True).exists()


def test_the_sweep_makes_lost_sqlite_triggers_again_and_counts_afresh(capture, rep):
    # SPEC: ANA-2 — a rebuild of the lead table (SQLite drops its triggers with it) does
    # not leave the funnel silently uncounted: the next minute's sweep puts them back.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps a table's triggers through ALTER TABLE")
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER leads_funnel_tally_update")
    Lead.objects.filter(pk=lead.pk).update(furthest_stage="needs")  # not counted now
    assert tallied() != counted()
    result = fold_funnel_tally(timezone.now())
    assert result["triggers_remade"] == ["leads_funnel_tally_update"]
    assert tallied() == counted()
    lead_stage_set(lead=lead, stage="comparing", fact="比价中", by=rep)  # counted again
    assert tallied() == counted()

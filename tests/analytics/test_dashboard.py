"""Lead analytics (ANA-1…3, ANA-6): the figures match direct SQL counts, respect the
viewer's data scope, and are the same in the page, its exports and the API."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from leadflow.analytics.queries import (
    Period,
    conversion,
    cycle_distribution,
    followup_quality,
    funnel,
    funnel_by_channel,
    leads_by_channel,
    leads_by_month,
)
from leadflow.leads.assignment import lead_accept, lead_assign_manual
from leadflow.leads.bulk.funnel_tally import fold_funnel_tally
from leadflow.leads.capture import lead_capture
from leadflow.leads.followup import followup_record, remind_overdue
from leadflow.leads.models import Lead
from leadflow.leads.stages import lead_stage_set
from tests.leads.conftest import CONSENT, lead_values

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
PERIOD = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(org, make_user):
    """Two reps in one team, a manager, an administrator who sees everything; nine March
    leads over three channels, worked to different stages (two never assigned); one
    February lead outside the period."""
    manager = make_user("sales_manager", team=org.east, department=org.east_region)
    org.east.leader = manager
    org.east.save()
    li = make_user(team=org.east, department=org.east_region, display_name="李明")
    wang = make_user(team=org.east, department=org.east_region, display_name="王芳")
    leads = []
    plan = [
        # channel, employees (800: grade A), rep, furthest stage, won amount
        ("G", 800, li, "won", "100000"),
        ("G", 800, li, "negotiating", None),
        ("G", None, li, "initial", None),
        ("S", 800, wang, "won", "40000"),
        ("S", None, wang, "needs", None),
        ("S", None, None, None, None),
        ("Z", None, wang, "comparing", None),
        ("Z", None, None, None, None),
        ("Z", 800, li, "lost", None),
    ]
    for n, (channel, employees, rep, stage, amount) in enumerate(plan):
        with time_machine.travel(MARCH + timedelta(hours=n), tick=False):
            lead = lead_capture(
                values=lead_values(
                    name=f"分析公司{n}",
                    mobile=f"1370013700{n}",
                    email="",
                    channel=channel,
                    employees=employees,
                ),
                consent=CONSENT,
                via="api",
            ).lead
            lead.refresh_from_db()
            if rep is None:
                continue
            lead_assign_manual(lead=lead, rep=rep, reason="测试", by=manager)
            lead_accept(lead=lead, by=rep)
        contact = MARCH + timedelta(hours=n, minutes=30)
        if n % 2 == 0:  # some contacted at once, the others overdue first
            with time_machine.travel(contact + timedelta(minutes=5), tick=False):
                followup_record(
                    lead=lead, by=rep, contact_at=contact, method="phone", feedback="聊过"
                )
        path = ["needs", "comparing", "negotiating"]
        moves = {
            "initial": [],
            "needs": path[:1],
            "comparing": path[:2],
            "negotiating": path,
            "won": path,
            "lost": path[:1],
        }[stage]
        with time_machine.travel(MARCH + timedelta(days=3, hours=n), tick=False):
            if n % 2:
                followup_record(
                    lead=lead,
                    by=rep,
                    contact_at=MARCH + timedelta(days=3),
                    method="visit",
                    feedback="面谈",
                )
            for move in moves:
                lead_stage_set(lead=lead, stage=move, fact="推进", by=rep)
            if stage == "won":
                lead_stage_set(
                    lead=lead,
                    stage="won",
                    fact="签约",
                    by=rep,
                    deal_amount=Decimal(amount),
                    deal_date=date(2026, 3, 5),
                )
            if stage == "lost":
                lead_stage_set(lead=lead, stage="lost", fact="选了别家", reason="价格", by=rep)
        leads.append(lead)
    remind_overdue(MARCH + timedelta(days=2))  # the uncontacted ones lapse on first contact
    with time_machine.travel(MARCH - timedelta(days=20), tick=False):
        lead_capture(
            values=lead_values(name="二月公司", mobile="13600136000", email="", channel="G"),
            consent=CONSENT,
            via="api",
        )
    return make_user("admin", is_superuser=True), li, wang


def _sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _bounds():
    since, until = PERIOD.bounds()
    return [
        connection.ops.adapt_datetimefield_value(since),
        connection.ops.adapt_datetimefield_value(until),
    ]


def test_leads_by_channel_and_grade_match_sql(world):
    # SPEC: ANA-1 — leads by channel with A/B/C quality; numbers match a direct SQL count.
    admin, _, _ = world
    rows = {
        r["channel"]: (r["total"], r["a"], r["b"], r["c"]) for r in leads_by_channel(admin, PERIOD)
    }
    direct = _sql(
        "SELECT c.code, COUNT(*), SUM(CASE WHEN l.grade = 'A' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN l.grade = 'B' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN l.grade = 'C' THEN 1 ELSE 0 END) "
        "FROM leads_lead l JOIN leads_channel c ON c.id = l.channel_id "
        "WHERE l.status <> 'merged' AND l.acquired_at >= %s AND l.acquired_at < %s GROUP BY c.code",
        _bounds(),
    )
    assert rows == {code: tuple(int(v) for v in values) for code, *values in direct}
    assert sum(total for total, *_ in rows.values()) == 9  # February's lead is outside


def test_the_funnel_counts_every_stage_a_lead_got_to(world):
    # SPEC: ANA-2 — funnel by stage; a lead lost in negotiation counts up to there.
    admin, _, _ = world
    counts = [row["count"] for row in funnel(admin, PERIOD)]
    assert counts == [7, 6, 4, 3, 2]  # initial, needs, comparing, negotiating, won
    assert [row["count"] for row in funnel(admin, PERIOD, channel="G")] == [3, 2, 2, 2, 1]
    reached_needs = _sql(
        "SELECT COUNT(*) FROM leads_lead WHERE furthest_stage IN ('needs', 'comparing', "
        "'negotiating', 'won') AND acquired_at >= %s AND acquired_at < %s",
        _bounds(),
    )
    assert counts[1] == reached_needs[0][0]


def test_conversion_order_value_and_cycle(world):
    # SPEC: ANA-2, ANA-3 — conversion rate by channel and rep, average order, cycle time.
    admin, li, wang = world
    by_channel = {r["key"]: r for r in conversion(admin, PERIOD, "channel")}
    assert (by_channel["官网"]["leads"], by_channel["官网"]["won"]) == (3, 1)
    assert by_channel["官网"]["rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert by_channel["官网"]["average_order"] == Decimal("100000.00")
    assert by_channel["官网"]["median_cycle_days"] == Decimal("3.00")
    by_rep = {r["key"]: r for r in conversion(admin, PERIOD, "owner")}
    assert (by_rep["李明"]["won"], by_rep["王芳"]["won"]) == (1, 1)
    total_won = _sql(
        "SELECT COUNT(*), SUM(deal_amount) FROM leads_lead WHERE stage = 'won' "
        "AND acquired_at >= %s AND acquired_at < %s",
        _bounds(),
    )[0]
    assert sum(r["won"] for r in by_channel.values()) == total_won[0]
    assert sum(r["amount"] for r in by_channel.values()) == Decimal(total_won[1])


def test_follow_up_timeliness_and_success_per_rep(world):
    # SPEC: ANA-1 — timeliness (first contact in time ÷ accepted), success, follow-ups per lead.
    admin, _, _ = world
    reps = {r["name"]: r for r in followup_quality(admin, PERIOD, "rep")}
    li = reps["李明"]
    assert (li["accepted"], li["followed"]) == (4, 4)
    late = _sql(
        "SELECT COUNT(DISTINCT f.lead_id) FROM leads_followuplapse f JOIN leads_lead l ON "
        "l.id = f.lead_id JOIN accounts_user u ON u.id = l.owner_id WHERE f.kind = 'first' "
        "AND u.display_name = %s",
        ["李明"],
    )[0][0]
    assert li["on_time"] == li["accepted"] - late
    assert li["timeliness"] == pytest.approx(li["on_time"] / 4, abs=1e-4)


def test_scope_the_page_the_exports_and_the_api(world, client_for, api_for):
    # SPEC: ANA-6 — every figure in the viewer's scope; tables export; the API agrees.
    admin, li, _ = world
    own = leads_by_channel(li, PERIOD)
    assert sum(r["total"] for r in own) == 4  # only 李明's own leads
    query = "start=2026-03-01&end=2026-03-31"
    page = client_for(admin).get(f"/analytics/?{query}").content.decode()
    assert 'data-chart="funnel"' in page
    assert "官网" in page
    api = api_for(admin).get(f"/api/v1/analytics/leads-by-channel?{query}").json()
    assert api == leads_by_channel(admin, PERIOD)
    assert api_for(li).get(f"/api/v1/analytics/funnel?{query}").json()[0]["count"] == 4
    export = client_for(admin).get(f"/analytics/?{query}&export=csv&table=channels")
    assert export.status_code == 200
    assert "官网" in export.content.decode("utf-8-sig")
    assert client_for(li).get(f"/analytics/?{query}&export=csv&table=channels").status_code == 403
    bad = api_for(admin).get("/api/v1/analytics/funnel?start=2026-03-31&end=2026-03-01")
    assert bad.status_code == 422


def test_months_cycles_and_teams(world):
    # SPEC: ANA-1, ANA-3 — leads per period, the distribution of cycle time, per team.
    admin, _, _ = world
    year = Period(date(2026, 1, 1), date(2026, 3, 31))
    months = {r["month"]: r["total"] for r in leads_by_month(admin, year)}
    assert months == {"2026-02": 1, "2026-03": 9}
    cycles = {r["days"]: r["won"] for r in cycle_distribution(admin, PERIOD)}
    assert cycles == {"0–7": 2, "7–30": 0, "30–90": 0, "90–180": 0, "180+": 0}
    [team] = followup_quality(admin, PERIOD, "team")
    reps = followup_quality(admin, PERIOD, "rep")
    assert team["name"] == "华东一组"
    assert team["accepted"] == sum(r["accepted"] for r in reps)


def test_the_funnel_reads_whole_months_from_the_tally_and_its_edges_from_the_leads(org, make_user):
    # SPEC: ANA-2 — the funnel over a long period comes from a rollup that stays exact:
    # the whole UTC months from the tally, the company-time edges from the leads, in the
    # viewer's scope (SEC-1).
    manager = make_user("sales_manager", department=org.east_region)
    ours = make_user(department=org.east_region)
    theirs = make_user(department=org.marketing)
    moments = {  # Shanghai time → inside 2026-03-01 … 2026-04-30?
        datetime(2026, 2, 28, 23, 30, tzinfo=SHANGHAI): False,
        datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI): True,  # UTC: still February
        datetime(2026, 3, 1, 8, 0, tzinfo=SHANGHAI): True,  # UTC: March begins
        datetime(2026, 3, 15, 12, 0, tzinfo=SHANGHAI): True,
        datetime(2026, 4, 1, 7, 0, tzinfo=SHANGHAI): True,  # UTC: still March
        datetime(2026, 4, 1, 8, 0, tzinfo=SHANGHAI): True,  # UTC: April begins
        datetime(2026, 4, 30, 23, 30, tzinfo=SHANGHAI): True,
        datetime(2026, 5, 1, 0, 30, tzinfo=SHANGHAI): False,  # UTC: still April
    }
    for n, moment in enumerate(moments):
        for owner in (ours, theirs):
            with time_machine.travel(moment, tick=False):
                lead = lead_capture(
                    values=lead_values(
                        name=f"边界公司{n}{owner.pk}", mobile=f"135{owner.pk:03d}0000{n}", email=""
                    ),
                    consent=CONSENT,
                    via="api",
                ).lead
            Lead.objects.filter(pk=lead.pk).update(
                owner=owner, status="accepted", furthest_stage="needs" if n % 2 else "initial"
            )
    admin = make_user("admin", is_superuser=True)
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    inside = [n for n, (moment, yes) in enumerate(moments.items()) if yes]
    expected_needs = sum(1 for n in inside if n % 2)
    for _ in range(2):  # before and after the minute sweep folds the tally
        assert [row["count"] for row in funnel(admin, period)][:2] == [
            2 * len(inside),
            2 * expected_needs,
        ]
        assert [row["count"] for row in funnel(manager, period)][:2] == [
            len(inside),
            expected_needs,
        ]
        assert funnel_by_channel(admin, period)[0]["needs"] == 2 * expected_needs
        fold_funnel_tally(datetime.now(UTC))
    direct = _sql(
        "SELECT COUNT(*) FROM leads_lead WHERE furthest_stage <> '' AND acquired_at >= %s "
        "AND acquired_at < %s",
        [connection.ops.adapt_datetimefield_value(bound) for bound in period.bounds()],
    )
    assert direct[0][0] == 2 * len(inside)

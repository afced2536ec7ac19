"""Journeys' rules (AUT-1, AUT-2): quiet hours on the company calendar (a send due on a
Friday night waits for the next working morning, past a company day off), waits until a
time of day, a follow-up task for the owner, the other triggers (a pool, what the person
did, a web form, the score falling), and a parked enrolment retried or skipped from the
manager's hands; leads in flight moved to a new version only when asked."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.models import CompanyHoliday
from leadflow.journeys.engine import read_triggers, run_due_steps
from leadflow.journeys.journeys import (
    enrollment_retry,
    enrollment_skip,
    journey_enrol_by_hand,
    journey_migrate,
    journey_save,
    journey_state_set,
)
from leadflow.journeys.models import Enrollment, StepRun
from leadflow.leads.events import activity_recorded, lead_nurtured, lead_scored
from leadflow.leads.models import FollowUpDue, Lead, LeadEvent
from leadflow.mailing.models import EmailMessage
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def journey(marketer, steps, **values):
    made = journey_save(
        values={"name": values.pop("name", "旅程"), "trigger": {"kind": "manual"}, **values},
        steps=steps,
        by=marketer,
    )
    return journey_state_set(journey=made, state="active", by=marketer)


def test_sends_wait_for_working_hours_past_a_day_off(marketer, template, make_user):
    # SPEC: AUT-1 — quiet hours: no sends at night or on holidays; waits in working time
    CompanyHoliday.objects.create(date=datetime(2026, 12, 7).date(), kind="day_off", name="司庆")
    rep = make_user(display_name="李明")
    quiet = journey(
        marketer,
        [
            {"id": "mail", "kind": "email", "template": template.pk},
            {"id": "ten", "kind": "wait", "until": "10:00"},
            {"id": "call", "kind": "task", "hours": 4, "text": "请电话跟进"},
        ],
    )
    found = lead("甲公司", "jia@example.cn")
    Lead.objects.filter(pk=found.pk).update(owner=rep, status="accepted", stage="initial")
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=SHANGHAI)
    with time_machine.travel(friday_night, tick=False):
        journey_enrol_by_hand(journey=quiet, leads=[found], by=marketer)
        assert run_due_steps(friday_night) == {"quiet": 1}
    enrolment = Enrollment.objects.get()
    tuesday = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)  # Monday is the company's day off
    assert enrolment.due_at == tuesday
    assert not EmailMessage.objects.exists()
    with time_machine.travel(tuesday, tick=False):
        run_due_steps(tuesday)
    assert EmailMessage.objects.count() == 1
    enrolment.refresh_from_db()
    assert enrolment.due_at == tuesday.replace(hour=10)
    with time_machine.travel(tuesday.replace(hour=10), tick=False):
        run_due_steps(tuesday.replace(hour=10))
    assert FollowUpDue.objects.get(lead=found).due_at == tuesday.replace(hour=14)
    assert Enrollment.objects.get().state == "finished"


def test_the_other_triggers(marketer, template):
    # SPEC: AUT-1 — triggers: a pool, what the person did, a web form, the score falling
    steps = [{"id": "mail", "kind": "email", "template": template.pk}]
    pool = journey(marketer, steps, name="培育池", trigger={"kind": "status", "to": "nurture"})
    pricing = journey(
        marketer, steps, name="看价格", trigger={"kind": "activity", "event": "visited_pricing"}
    )
    form = journey(marketer, steps, name="表单", trigger={"kind": "form", "form": "官网-产品页"})
    cooled = journey(marketer, steps, name="降温", trigger={"kind": "score_down", "threshold": 30})
    first, second = lead("甲公司", "jia@example.cn"), lead("乙公司", "yi@example.cn")
    read_triggers(datetime.now(tz=SHANGHAI))  # both came through the form page
    assert set(Enrollment.objects.filter(journey=form).values_list("lead", flat=True)) == {
        first.pk,
        second.pk,
    }
    lead_nurtured(first)
    activity_recorded(second, kind="visited_pricing", data={"url": "/pricing"})
    lead_scored(first, trigger="test", score=[35, 20], grade=["A", "B"], rules={})
    lead_scored(second, trigger="test", score=[20, 25], grade=["B", "B"], rules={})
    read_triggers(datetime.now(tz=SHANGHAI))

    def who(journey):
        return set(Enrollment.objects.filter(journey=journey).values_list("lead", flat=True))

    assert (who(pool), who(pricing), who(cooled)) == ({first.pk}, {second.pk}, {first.pk})


def test_a_parked_enrolment_is_retried_or_skipped(marketer, webhook_server):
    # SPEC: AUT-2 — a parked enrolment can be retried or skipped from the UI
    webhook_server.replies = [(500, {"error": "down"})] * 10
    hooked = journey(
        marketer,
        [
            {"id": "hook", "kind": "webhook", "url": webhook_server.url + "/crm", "secret": "s"},
            {"id": "tell", "kind": "priority", "value": "high"},
        ],
        quiet_hours=False,
    )
    first, second = lead("甲公司", "jia@example.cn"), lead("乙公司", "yi@example.cn")
    journey_enrol_by_hand(journey=hooked, leads=[first, second], by=marketer)
    now = datetime.now(tz=SHANGHAI)
    for minutes in (0, 3, 10, 30, 70):
        run_due_steps(now + timedelta(minutes=minutes))
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"parked"}
    webhook_server.replies = [(200, {"ok": True})] * 10
    retried = enrollment_retry(enrollment=Enrollment.objects.get(lead=first), by=marketer)
    skipped = enrollment_skip(enrollment=Enrollment.objects.get(lead=second), by=marketer)
    assert (retried.state, retried.attempts, skipped.step) == ("active", 0, "tell")
    run_due_steps(now + timedelta(minutes=80))
    runs = dict(StepRun.objects.values_list("enrollment__lead", "step").filter(step="hook"))
    assert runs == {first.pk: "hook"}  # the skipped one never called the webhook
    assert set(Enrollment.objects.values_list("state", flat=True)) == {"finished"}
    assert set(
        Lead.objects.filter(pk__in=[first.pk, second.pk]).values_list("priority", flat=True)
    ) == {"high"}


def test_leads_in_flight_finish_on_their_version_unless_moved(marketer, template):
    # SPEC: AUT-1 — versions: enrolments in flight finish on theirs unless migrated
    steps = [
        {"id": "wait", "kind": "wait", "hours": 48},
        {"id": "mail", "kind": "email", "template": template.pk},
    ]
    nurture = journey(marketer, steps, quiet_hours=False)
    found = lead("甲公司", "jia@example.cn")
    journey_enrol_by_hand(journey=nurture, leads=[found], by=marketer)
    now = datetime.now(tz=SHANGHAI)
    run_due_steps(now)
    first = Enrollment.objects.get()
    journey_save(
        values={"name": nurture.name, "trigger": {"kind": "manual"}, "quiet_hours": False},
        steps=[*steps[:1], {"id": "mail", "kind": "priority", "value": "high"}],
        by=marketer,
        journey=nurture,
    )
    assert Enrollment.objects.get().version_id == first.version_id
    assert journey_migrate(journey=nurture, by=marketer) == 1
    run_due_steps(now + timedelta(hours=49))
    assert not EmailMessage.objects.exists()  # the new version's step ran
    assert Lead.objects.get(pk=found.pk).priority == "high"


def test_a_paused_journey_keeps_its_leads_where_they_are(marketer, template):
    # SPEC: AUT-1 — pausing a journey stops its steps; starting it again goes on
    # A working morning, the clock held: the step is due from the moment of enrolment (it
    # failed on real clocks past 10:00, enrolled after the moment it was run for).
    now = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(now, tick=False):
        paused = journey(marketer, [{"id": "mail", "kind": "email", "template": template.pk}])
        found = lead("甲公司", "jia@example.cn")
        journey_enrol_by_hand(journey=paused, leads=[found], by=marketer)
        journey_state_set(journey=paused, state="paused", by=marketer)
        assert run_due_steps(now) == {}
        journey_state_set(journey=paused, state="active", by=marketer)
        paused.refresh_from_db()
        paused.quiet_hours = False
        paused.save()
        run_due_steps(now)
    assert EmailMessage.objects.count() == 1


def test_a_daily_cap_and_a_branch_on_a_click_within_a_day(marketer, template):
    # SPEC: AUT-1 — the maximum enrolments per day; branch on behaviour within a window
    from django.core import signing

    from leadflow.mailing.sending import CLICK_SALT
    from leadflow.mailing.tracking import click_record

    clicked = journey(
        marketer,
        [
            {"id": "mail", "kind": "email", "template": template.pk},
            {"id": "wait", "kind": "wait", "hours": 48},
            {
                "id": "hot",
                "kind": "branch",
                "if": {"engaged": "clicked", "within_hours": 24},
                "yes": "high",
                "no": "low",
            },
            {"id": "high", "kind": "priority", "value": "high"},
            {"id": "stop", "kind": "exit"},
            {"id": "low", "kind": "priority", "value": "low"},
        ],
        quiet_hours=False,
        daily_cap=2,
        trigger={"kind": "activity", "event": "email_clicked"},
    )
    leads = [lead(f"公司{n}", f"buyer{n}@example.cn") for n in range(3)]
    start = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        assert journey_enrol_by_hand(journey=clicked, leads=leads, by=marketer) == 2
        run_due_steps(start)
    quick, slow = (EmailMessage.objects.get(lead=found) for found in leads[:2])
    for message, hours in ((quick, 2), (slow, 30)):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            link = signing.dumps([message.token, "https://example.cn/new"], salt=CLICK_SALT)
            click_record(link, "Mozilla/5.0 Foxmail")
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        run_due_steps(start + timedelta(hours=49))
    priority = dict(
        Lead.objects.filter(pk__in=[quick.lead_id, slow.lead_id]).values_list("pk", "priority")
    )
    assert priority == {quick.lead_id: "high", slow.lead_id: "low"}
    # Each first click is on the lead's timeline (once), which this journey listens to;
    # both are in it already, and the third lead enters on the next day's room.
    assert LeadEvent.objects.filter(kind="email_clicked").count() == 2
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert journey_enrol_by_hand(journey=clicked, leads=leads, by=marketer) == 1


def test_a_tag_step_starts_the_journey_that_listens_for_it(marketer, template):
    # SPEC: AUT-1 — the step "tag" and the trigger "tag added" (the guide's 待培育)
    closing = journey(
        marketer, [{"id": "tag", "kind": "tag", "tag": "待培育"}], name="收尾", quiet_hours=False
    )
    nurture = journey(
        marketer,
        [{"id": "mail", "kind": "email", "template": template.pk}],
        name="培育",
        trigger={"kind": "tag", "tag": "待培育"},
    )
    found = lead("甲公司", "jia@example.cn")
    now = datetime.now(tz=SHANGHAI)
    read_triggers(now)  # the new lead itself starts nothing here
    journey_enrol_by_hand(journey=closing, leads=[found], by=marketer)
    run_due_steps(now + timedelta(seconds=5))
    assert list(found.tags.values_list("name", flat=True)) == ["待培育"]
    read_triggers(now)
    assert Enrollment.objects.filter(journey=nurture, lead=found).exists()


def test_the_guides_nurture_journey_across_a_weekend_and_a_day_off(marketer):
    # SPEC: AUT-1 — the guide's B-class 培育旅程 (模板2): pain-point email, 3 working days,
    # case collection, 5 working days, two opened → demo video, else tagged 待培育
    from leadflow.journeys.guide import guide_journey
    from leadflow.mailing.tracking import open_record

    CompanyHoliday.objects.create(date=datetime(2026, 12, 14).date(), kind="day_off", name="调休")
    nurture = journey_state_set(
        journey=guide_journey("nurture", by=marketer), state="active", by=marketer
    )
    reader, silent = lead("甲公司", "jia@example.cn"), lead("乙公司", "yi@example.cn")
    Lead.objects.filter(pk__in=[reader.pk, silent.pk]).update(score=5, grade="C")
    thursday = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(thursday, tick=False):
        for found in (reader, silent):
            lead_scored(found, trigger="test", score=[5, 20], grade=["C", "B"], rules={})
        assert read_triggers(thursday) == {"entered": 2}
        run_due_steps(thursday)
    # 3 working days of 9 hours from Thursday 10:00, past the weekend and Monday off:
    wednesday = datetime(2026, 12, 16, 10, 0, tzinfo=SHANGHAI)
    assert set(Enrollment.objects.values_list("due_at", flat=True)) == {wednesday}
    with time_machine.travel(thursday + timedelta(days=1), tick=False):
        open_record(EmailMessage.objects.get(lead=reader).token, "Mozilla/5.0 Foxmail")
    with time_machine.travel(wednesday, tick=False):
        run_due_steps(wednesday)
    with time_machine.travel(wednesday + timedelta(days=1), tick=False):
        second = EmailMessage.objects.filter(lead=reader).order_by("-id").first()
        open_record(second.token, "Mozilla/5.0 Foxmail")
    later = datetime(2026, 12, 23, 10, 0, tzinfo=SHANGHAI)  # 5 working days on
    with time_machine.travel(later, tick=False):
        run_due_steps(later)
    states = dict(Enrollment.objects.filter(journey=nurture).values_list("lead", "state"))
    subjects = [m.subject for m in EmailMessage.objects.filter(lead=reader).order_by("id")]
    assert subjects[-1].endswith("3 分钟看懂我们的产品")
    assert len(subjects) == 3
    assert states[silent.pk] == "finished"
    assert list(silent.tags.values_list("name", flat=True)) == ["待培育"]
    assert states[reader.pk] == "exited"  # after the video, the exit step


def test_a_field_step_sets_a_qualification_field_and_rescores(marketer):
    # SPEC: AUT-1, LEAD-SCR-4 — set a field: on the timeline, the lead re-scored; never
    # a personal field
    from leadflow.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        journey(marketer, [{"id": "m", "kind": "field", "field": "mobile", "value": "1"}])
    assert "steps.1" in refused.value.fields
    budget = journey(marketer, [{"id": "b", "kind": "field", "field": "industry", "value": "零售"}])
    found = lead("甲公司", "jia@example.cn")
    before = Lead.objects.get(pk=found.pk).score
    journey_enrol_by_hand(journey=budget, leads=[found], by=marketer)
    run_due_steps(datetime.now(tz=SHANGHAI) + timedelta(seconds=5))
    found.refresh_from_db()
    assert found.industry == "零售"
    event = LeadEvent.objects.get(lead=found, kind="field_set")
    assert (event.data["field"], event.data["before"], event.data["after"]) == (
        "industry",
        "制造业",
        "零售",
    )
    assert found.score < before  # the seeded 目标行业 rule no longer gives its points


def test_a_date_trigger_enters_leads_days_before_an_instalment_is_due(
    marketer, template, people, customer
):
    # SPEC: AUT-1 — a date relative to a field: 3 days before a contract instalment is due
    from tests.sales.test_contracts import MONDAY, signed

    with time_machine.travel(MONDAY, tick=False):
        signed(people, customer)  # instalments due 2026-03-31 and 2026-06-30
        reminder = journey(
            marketer,
            [{"id": "mail", "kind": "email", "template": template.pk}],
            name="回款提醒",
            trigger={"kind": "date", "date": "instalment_due", "days": 3},
            reentry="always",
        )
        welcome = journey(
            marketer,
            [{"id": "mail", "kind": "email", "template": template.pk}],
            name="次日问候",
            trigger={"kind": "date", "date": "captured", "days": 1},
        )
        buyer = lead("甲公司", "jia@example.cn")
        Lead.objects.filter(pk=buyer.pk).update(customer=customer)
        read_triggers(MONDAY)
    assert Enrollment.objects.filter(journey=welcome).count() == 0  # captured today
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        read_triggers(MONDAY + timedelta(days=1))
    assert Enrollment.objects.filter(journey=welcome, lead=buyer).count() == 1
    for day in (27, 28):
        moment = datetime(2026, 3, day, 9, 30, tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False):
            read_triggers(moment)
            read_triggers(moment)  # once a day, however often the sweep runs
        entered = Enrollment.objects.filter(journey=reminder, lead=buyer).count()
        assert entered == (1 if day == 28 else 0)


def test_a_branch_on_the_person_responding(marketer):
    # SPEC: AUT-1 — "replied?": a follow-up recorded or the person asking, after entering
    answered = journey(
        marketer,
        [
            {"id": "wait", "kind": "wait", "hours": 24},
            {"id": "ask", "kind": "branch", "if": {"responded": True}, "yes": "hi", "no": "lo"},
            {"id": "hi", "kind": "priority", "value": "high"},
            {"id": "end", "kind": "exit"},
            {"id": "lo", "kind": "priority", "value": "low"},
        ],
    )
    talker, quiet = lead("甲公司", "jia@example.cn"), lead("乙公司", "yi@example.cn")
    start = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        activity_recorded(quiet, kind="consulted_sales", data={})  # before: not an answer
    with time_machine.travel(start, tick=False):
        journey_enrol_by_hand(journey=answered, leads=[talker, quiet], by=marketer)
        run_due_steps(start)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        activity_recorded(talker, kind="consulted_sales", data={"via": "企业微信"})
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        run_due_steps(start + timedelta(hours=25))
    priority = dict(Lead.objects.filter(pk__in=[talker.pk, quiet.pk]).values_list("pk", "priority"))
    assert priority == {talker.pk: "high", quiet.pk: "low"}


def test_the_nurture_and_assign_steps_use_the_pools_and_the_rules(marketer, make_user):
    # SPEC: AUT-1 — add to the nurture pool; assign by the existing assignment rules
    from leadflow.leads.models import RepProfile

    waiting, warmed = lead("甲公司", "jia@example.cn"), lead("乙公司", "yi@example.cn")
    Lead.objects.filter(pk=waiting.pk).update(status="to_assign", owner=None)
    Lead.objects.filter(pk=warmed.pk).update(status="nurture", owner=None, grade="A")
    to_pool = journey(marketer, [{"id": "n", "kind": "nurture"}], name="转培育")
    to_rep = journey(marketer, [{"id": "a", "kind": "assign"}], name="回到销售")
    rep = make_user(display_name="李明")
    RepProfile.objects.create(user=rep, capacity=20)
    journey_enrol_by_hand(journey=to_pool, leads=[Lead.objects.get(pk=waiting.pk)], by=marketer)
    journey_enrol_by_hand(journey=to_rep, leads=[Lead.objects.get(pk=warmed.pk)], by=marketer)
    run_due_steps(datetime.now(tz=SHANGHAI) + timedelta(seconds=5))
    waiting.refresh_from_db()
    warmed.refresh_from_db()
    assert waiting.status == "nurture"
    assert LeadEvent.objects.filter(lead=waiting, kind="nurture").exists()
    assert (warmed.owner, warmed.status) == (rep, "assigned")

"""Journeys (AUT-1, AUT-2): the A-class quick-conversion journey of the guide driven with
time-machine — score ≥ 30 enters it, the proposal email goes and the owner is told, then
after the wait an open leads to a one-to-one task and no open to the demo-video email;
re-entry and exit rules; a step retried never acts twice; two workers racing on the same
due enrolments run each step once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadflow.journeys.engine import read_triggers, run_due_steps
from leadflow.journeys.journeys import journey_save, journey_state_set
from leadflow.journeys.models import Enrollment, StepRun
from leadflow.leads.models import Lead
from leadflow.leads.scoring import lead_rescore
from leadflow.mailing.models import EmailMessage, Suppression
from leadflow.mailing.sending import template_save
from leadflow.mailing.tracking import open_record
from tests.leads.conftest import twice_at_once
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def quick(marketer, make_user):
    """快速转化旅程: score crosses 30 → proposal email + tell the owner → wait 24 h →
    opened? → tell the owner to call : demo-video email."""

    def email(name):
        return template_save(
            values={
                "name": name,
                "purpose": "marketing",
                "subject": f"{name}：{{{{ lead.name }}}}",
                "html": "<p>您好</p>",
                "text": "您好",
            },
            by=marketer,
        ).pk

    journey = journey_save(
        values={
            "name": "A类快速转化旅程",
            "trigger": {"kind": "score_up", "threshold": 30},
            "reentry": "never",
            "goal": {"stage": "won"},
            "quiet_hours": False,  # these tests run at any hour; quiet hours have their own
        },
        steps=[
            {"id": "proposal", "kind": "email", "template": email("定制方案")},
            {"id": "tell", "kind": "notify", "text": "请添加企业微信好友"},
            {"id": "wait", "kind": "wait", "hours": 24},
            {
                "id": "opened",
                "kind": "branch",
                "if": {"opened": True},
                "yes": "call",
                "no": "video",
            },
            {"id": "call", "kind": "notify", "text": "客户已打开方案：请一对一联系"},
            {"id": "done", "kind": "exit"},
            {"id": "video", "kind": "email", "template": email("演示视频")},
        ],
        by=marketer,
    )
    return journey_state_set(journey=journey, state="active", by=marketer)


def hot(name, email_address, owner):
    found = lead(name, email_address)
    Lead.objects.filter(pk=found.pk).update(owner=owner, score=10)
    found.refresh_from_db()
    return found


def score_to(found, points):
    """The lead's score moves (as the rules would): the timeline says so."""
    Lead.objects.filter(pk=found.pk).update(budget="50万以上" if points >= 30 else "")
    found.refresh_from_db()
    return lead_rescore(lead=found, trigger="test")


def test_the_quick_journey_branches_on_the_open(quick, make_user, smtp_server, run_tasks):
    # SPEC: AUT-1 — trigger, email, notify, wait, branch on behaviour, exit
    owner = make_user(display_name="李明")
    opener, silent = hot("甲公司", "jia@example.cn", owner), hot("乙公司", "yi@example.cn", owner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for found in (opener, silent):
            Lead.objects.filter(pk=found.pk).update(score=0)
        from leadflow.leads.events import lead_scored

        for found in (opener, silent):
            lead_scored(found, trigger="test", score=[10, 35], grade=["C", "A"], rules={})
        assert read_triggers(start)["entered"] == 2
        run_due_steps(start)
    run_tasks()

    def to_leads():
        leads = {"jia@example.cn", "yi@example.cn"}
        return [m for m in smtp_server.messages if m["X-Envelope-To"] in leads]

    assert len(to_leads()) == 2  # the proposal to both (the owner's notices apart)
    proposal = EmailMessage.objects.get(lead=opener)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        open_record(proposal.token, "Mozilla/5.0 Foxmail")
    later = start + timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        run_due_steps(later)
        run_tasks()
    ended = {e.lead_id: e for e in Enrollment.objects.all()}
    assert ended[opener.pk].state == "exited"  # via the call task and the exit step
    assert ended[silent.pk].state == "finished"  # after the demo video
    assert [str(m["Subject"]).strip() for m in to_leads()][-1] == "【广告】演示视频：乙公司"
    steps = list(StepRun.objects.filter(enrollment=ended[opener.pk]).values_list("step", flat=True))
    assert steps == ["proposal", "tell", "wait", "opened", "call"]
    # Entered once: the score crossing 30 again does not enter it again (re-entry: never).
    with time_machine.travel(later, tick=False):
        lead_scored(opener, trigger="test", score=[20, 40], grade=["B", "A"], rules={})
        assert read_triggers(later) == {}


def test_an_unsubscribe_takes_the_lead_out(quick, make_user, smtp_server, run_tasks):
    # SPEC: AUT-1 — exit rules: an unsubscribe leaves every journey at once
    found = hot("甲公司", "jia@example.cn", make_user())
    from leadflow.leads.events import lead_scored

    now = timezone.now()
    lead_scored(found, trigger="test", score=[10, 35], grade=["C", "A"], rules={})
    read_triggers(now)
    run_due_steps(now)
    Suppression.objects.create(
        address_hash=found.email_hash, reason="unsubscribed", source="link", at=now
    )
    run_due_steps(now + timedelta(hours=25))
    assert Enrollment.objects.get().state == "exited"
    assert EmailMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_run_each_step_once(quick, make_user, smtp_server):
    # SPEC: AUT-2 — several workers at once; each step run once
    from leadflow.leads.events import lead_scored

    owner = make_user()
    now = timezone.now()
    for n in range(6):
        found = hot(f"公司{n}", f"buyer{n}@example.cn", owner)
        lead_scored(found, trigger="test", score=[10, 35], grade=["C", "A"], rules={})
    read_triggers(now)
    twice_at_once(lambda: run_due_steps(now))
    assert EmailMessage.objects.count() == 6
    assert StepRun.objects.filter(step="proposal").count() == 6


def test_a_failing_webhook_is_retried_then_parked(marketer, webhook_server, make_user):
    # SPEC: AUT-2 — failures retry with backoff, then the enrolment is parked, owner told
    from leadflow.journeys.journeys import journey_enrol_by_hand

    webhook_server.replies = [(500, {"error": "down"})] * 10
    journey = journey_save(
        values={"name": "回调旅程", "trigger": {"kind": "manual"}},
        steps=[
            {"id": "hook", "kind": "webhook", "url": webhook_server.url + "/crm", "secret": "s3"},
            {"id": "end", "kind": "exit"},
        ],
        by=marketer,
    )
    journey_state_set(journey=journey, state="active", by=marketer)
    found = lead("甲公司", "jia@example.cn")
    journey_enrol_by_hand(journey=journey, leads=[found], by=marketer)
    now = timezone.now()
    for minutes in (0, 3, 10, 30, 70):  # 2, 4, 8, 16 minutes of backoff between tries
        run_due_steps(now + timedelta(minutes=minutes))
    enrolment = Enrollment.objects.get()
    assert (enrolment.state, enrolment.attempts) == ("parked", 4)
    assert len(webhook_server.requests) == 5
    request = webhook_server.requests[0]
    assert request["json"]["lead"]["number"] == found.number
    assert "name" not in request["json"]["lead"]  # no personal data leaves
    assert request["headers"]["X-Leadflow-Signature"].startswith("sha256=")
    assert not StepRun.objects.filter(step="hook").exists()  # never done, never twice


def test_a_list_enters_at_once_and_never_twice_at_once(marketer):
    # SPEC: AUT-1 — manual enrolment of a filtered list; re-entry rule; one active enrolment
    from django.db import IntegrityError, transaction

    from leadflow.journeys.journeys import journey_enrol_by_hand

    journey = journey_save(
        values={"name": "培育旅程", "trigger": {"kind": "manual"}, "reentry": "always"},
        steps=[{"id": "wait", "kind": "wait", "hours": 48}],
        by=marketer,
    )
    journey_state_set(journey=journey, state="active", by=marketer)
    leads = [lead(f"公司{n}", f"buyer{n}@example.cn") for n in range(30)]
    assert journey_enrol_by_hand(journey=journey, leads=leads, by=marketer) == 30
    assert journey_enrol_by_hand(journey=journey, leads=leads[:5], by=marketer) == 0
    first = Enrollment.objects.filter(lead=leads[0]).get()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        Enrollment.objects.create(
            journey=journey,
            version=first.version,
            lead=leads[0],
            step="wait",
            due_at=first.due_at,
            entered_at=first.entered_at,
        )
    Enrollment.objects.filter(pk=first.pk).update(state="finished")
    assert journey_enrol_by_hand(journey=journey, leads=leads[:5], by=marketer) == 1

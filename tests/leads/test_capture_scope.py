"""A capture that matches a lead its author may not see, or an anonymous one that matches
an owned lead: kept as a source, nothing of the other lead shown or overwritten."""

import pytest

from leadflow.leads.demo import demo_leads_create
from leadflow.leads.models import Lead, LeadEvent, LeadStatus
from leadflow.notify.models import Notification
from tests.leads.conftest import accepted_lead
from tests.leads.test_api import BODY, post
from tests.leads.test_web import FORM_DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_rep(org, make_user):
    return make_user(team=org.north, display_name="张三")


@pytest.fixture
def marketer(make_user):
    return make_user("marketing", username="zhao")


def test_a_rep_capturing_another_reps_lead_learns_nothing_and_changes_nothing(
    capture, rep, other_rep, marketer, api_for
):
    # SPEC: SEC-1, LEAD-CLN-2 — the match is outside the caller's scope
    theirs = accepted_lead(capture, rep, need="采购设备", budget="50万")
    before = {name: getattr(theirs, name) for name in ("need", "budget", "contact_name", "email")}

    response = post(
        api_for(other_rep),
        {**BODY, "need": "别的需求", "budget": "1万", "contact_name": "冒名", "email": "x@evil.cn"},
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "lead_exists"
    assert "mobile" in error["fields"]
    text = response.content.decode()
    for secret in (theirs.number, "采购设备", "50万", "+8613800138000", str(rep)):
        assert secret not in text
    theirs.refresh_from_db()
    assert {name: getattr(theirs, name) for name in before} == before
    # The capture is kept as a source of the lead, and the owner and marketing are told.
    capture_row = Lead.objects.get(captured_via="api", merged_into=theirs)
    assert capture_row.need == "别的需求"
    merged = LeadEvent.objects.get(lead=theirs, kind="merged")
    assert merged.data["changed"] == []
    assert {"need", "budget", "contact_name", "email"} <= set(merged.data["to_confirm"])
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert {rep.pk, marketer.pk} <= told
    assert other_rep.pk not in told


def test_a_rep_who_can_see_the_lead_still_merges_newest_wins(capture, rep, api_for):
    # SPEC: LEAD-CLN-2 — inside the caller's scope nothing changes
    own = accepted_lead(capture, rep)
    response = post(api_for(rep), {**BODY, "need": "更换设备"})
    assert response.status_code == 200
    assert response.json()["id"] == own.pk
    own.refresh_from_db()
    assert own.need == "更换设备"


def test_the_public_form_only_fills_empty_fields_of_an_owned_lead(client, capture, rep):
    # SPEC: LEAD-CLN-2, SEC-1 — an anonymous submission never replaces an owner's contact
    demo_leads_create()
    owned = accepted_lead(
        capture, rep, name="深圳某某电子有限公司", mobile="13912345678", email="", need="采购设备"
    )
    response = client.post(
        "/f/demo",
        {
            "name": "深圳某某电子有限公司",
            "contact_name": "冒名者",
            "mobile": "13912345678",
            "email": "new@example.cn",
            "industry": "电子",
            "need": "请删除我的资料",
            "consent": "on",
        },
    )
    assert response.status_code == 200
    owned.refresh_from_db()
    assert (owned.contact_name, owned.need) == ("王小明", "采购设备")
    assert owned.email == "new@example.cn"  # was empty: filled
    assert owned.status == LeadStatus.ACCEPTED
    merged = LeadEvent.objects.get(lead=owned, kind="merged")
    assert merged.data["changed"] == ["email"]
    assert merged.data["to_confirm"] == ["contact_name", "industry", "need"]
    assert Notification.objects.filter(recipient=rep, url=f"/leads/{owned.pk}/").exists()


def test_the_public_form_still_refreshes_a_lead_nobody_owns(client, capture):
    # SPEC: LEAD-CLN-2 — newest wins where there is no owner to protect
    demo_leads_create()
    waiting = capture(name="深圳某某电子有限公司", mobile="13912345678").lead
    client.post(
        "/f/demo",
        FORM_DATA,
    )
    waiting.refresh_from_db()
    assert waiting.need == "想了解报价"


def test_a_sales_manager_sees_and_assigns_a_lead_nobody_owns(capture, rep, api_for):
    # SPEC: SEC-1, LEAD-ASN-3 — it was 404 to the manager, who could not assign it
    manager = rep.team.leader
    waiting = capture().lead
    api = api_for(manager)
    assert api.get(f"/api/v1/leads/{waiting.pk}").status_code == 200
    response = api.post(
        f"/api/v1/leads/{waiting.pk}/assign",
        {"rep_id": rep.pk, "reason": "客户指定对接销售代表李"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == rep.pk


def test_sales_support_sees_the_leads_it_verifies(capture, rep, make_user, api_for):
    # SPEC: SEC-1, LEAD-CLN-4
    from leadflow.leads.models import Channel

    Channel.objects.filter(code="Z").update(requires_verification=True)
    to_verify = capture(channel="Z", mobile="13700137000", email="", name="广州展会公司").lead
    theirs = accepted_lead(capture, rep)
    api = api_for(make_user("sales_support"))
    assert api.get(f"/api/v1/leads/{to_verify.pk}").status_code == 200
    assert api.get(f"/api/v1/leads/{theirs.pk}").status_code == 404

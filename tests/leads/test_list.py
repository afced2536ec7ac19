"""The lead list (#25): the columns a team reads, sorting, 我的视图 and bulk actions that
go through the same services as a lead's page, on the leads the person may see."""

import pytest

from leadflow.core.models import AuditLog, SavedView
from leadflow.leads.models import Lead, LeadAssignment, LeadStatus
from tests.leads.conftest import accepted_lead

pytestmark = pytest.mark.django_db


def listed(client, query: str = "") -> list[str]:
    return [lead.number for lead in client.get(f"/leads/{query}").context["leads"]]


def test_the_list_sorts_by_score_and_shows_the_chosen_columns(capture, rep, client_for):
    # SPEC: LEAD-SCR-1 — sort by score; the column chooser decides what is shown
    low = capture(name="低分有限公司", mobile="13900006001", email="").lead
    high = capture(name="高分有限公司", mobile="13900006002", email="").lead
    Lead.objects.filter(pk=high.pk).update(score=40, grade="A")
    client = client_for(rep.team.leader)
    assert listed(client, "?sort=-score")[:2] == [high.number, low.number]
    assert listed(client, "?sort=score") == [low.number, high.number]
    page = client.get("/leads/?cols=number,score").content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert "编号" in head
    assert "渠道" not in head


def test_a_saved_view_keeps_the_filters_and_columns_for_its_owner(rep, client_for, make_user):
    # 我的视图: a named link to the list as it was, per person
    client = client_for(rep)
    query = "grade=A&cols=number,score&cursor=abc"
    client.post("/views/save/", {"page": "leads", "name": "A类", "query": query, "next": "/leads/"})
    view = SavedView.objects.get()
    assert (view.user, view.query) == (rep, "grade=A&cols=number%2Cscore")  # no paging kept
    assert "A类" in client.get("/leads/").content.decode()
    other = client_for(make_user(team=rep.team))
    assert "A类" not in other.get("/leads/").content.decode()
    refused = client.post("/views/save/", {"page": "leads", "name": "", "query": query})
    assert refused.status_code == 302
    assert SavedView.objects.count() == 1
    other.post(f"/views/{view.pk}/delete/", {"next": "/leads/"})  # not theirs: kept
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.post(f"/views/{view.pk}/delete/", {"next": "/leads/"})
    assert not SavedView.objects.exists()


def test_bulk_assign_and_pool_go_through_the_services(capture, rep, client_for, make_user):
    # SPEC: LEAD-ASN-3, LEAD-FUP-4 — a reason each time, refusals named, the rest done
    leader = rep.team.leader
    fresh = [
        capture(name=f"批量{n}有限公司", mobile=f"1390000700{n}", email="").lead for n in range(2)
    ]
    client = client_for(leader)
    response = client.post(
        "/leads/bulk/",
        {"action": "assign", "rep": rep.pk, "text": "展会名单", "ids": [lead.pk for lead in fresh]},
        follow=True,
    )
    assert {lead.owner_id for lead in Lead.objects.filter(pk__in=[p.pk for p in fresh])} == {rep.pk}
    assert "已处理 2 条线索" in response.content.decode()
    assert LeadAssignment.objects.filter(kind="manual", reason="展会名单").count() == 2

    held = accepted_lead(capture, rep, name="持有有限公司", mobile="13900007009", email="")
    Lead.objects.filter(pk=held.pk).update(stage="won")
    response = client.post(
        "/leads/bulk/",
        {"action": "pool", "text": "长期未跟进", "ids": [fresh[0].pk, held.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert Lead.objects.get(pk=fresh[0].pk).status == LeadStatus.POOL
    assert Lead.objects.get(pk=held.pk).owner_id == rep.pk  # a won lead stays
    assert f"1 条线索未处理：{held.number}" in page
    assert AuditLog.objects.filter(action="lead.to_pool", object_id=str(fresh[0].pk)).exists()


def test_bulk_actions_touch_only_leads_in_scope(capture, rep, client_for, make_user):
    # SPEC: SEC-1 — an id typed in for a lead outside the scope is ignored
    theirs = accepted_lead(
        capture, make_user(team=rep.team), name="别人有限公司", mobile="13900008001", email=""
    )
    client = client_for(rep)
    client.post("/leads/bulk/", {"action": "tag", "text": "重点", "ids": [theirs.pk]})
    assert not theirs.events.filter(kind="tagged").exists()
    assign = client.post(
        "/leads/bulk/", {"action": "assign", "rep": rep.pk, "text": "x", "ids": [theirs.pk]}
    )
    assert assign.status_code == 302
    assert Lead.objects.get(pk=theirs.pk).owner_id != rep.pk

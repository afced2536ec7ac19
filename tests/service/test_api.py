"""The service API (SVC-1…4): tickets and their steps, the report, a survey answered by
its token without signing in; bad input a 422 naming the field; scope a 404."""

import pytest

from leadflow.service.models import RootCause, Survey, TicketCategory
from leadflow.service.surveys import survey_token

pytestmark = pytest.mark.django_db


def test_a_complaint_through_the_api_to_closed_and_surveyed(people, customer, api_for, client):
    # SPEC: SVC-1, SVC-3, SVC-4 — the same steps as the pages, in the OpenAPI schema
    desk = api_for(people.desk)
    refused = desk.post(
        "/api/v1/tickets",
        {"kind": "complaint", "category": 0, "subject": "", "content": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) >= {"category", "subject"}
    created = desk.post(
        "/api/v1/tickets",
        {
            "kind": "complaint",
            "category": TicketCategory.objects.get(name="账单费用").pk,
            "subject": "发票金额有误",
            "content": "发票比合同多开了 2000 元",
            "customer": customer.pk,
            "source": "email",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    ticket = created.json()
    assert [c["kind"] for c in ticket["clocks"]] == ["contact"]
    url = f"/api/v1/tickets/{ticket['id']}/steps"

    def step(api, **body):
        answer = api.post(url, body, content_type="application/json")
        assert answer.status_code == 201, answer.json()
        return answer.json()

    step(desk, action="contact", text="已回电")
    step(desk, action="assign", department=people.after_sales.pk, assignee=people.engineer.pk)
    assert api_for(people.outsider).get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    step(api_for(people.engineer), action="propose", solution="重开发票")
    step(desk, action="accepted", text="同意")
    step(desk, action="revisit", text="已收到新发票")
    closed = step(
        desk,
        action="close",
        root_cause=RootCause.objects.get(name="操作失误").pk,
        root_cause_text="开票录入错误",
        corrective_action="开票双人复核",
    )
    assert (closed["state"], closed["root_cause"]) == ("closed", "操作失误")
    steps = desk.get(url).json()
    assert [s["kind"] for s in steps][-1] == "closed"
    token = survey_token(Survey.objects.get(ticket_id=ticket["id"]))
    answered = client.post(
        "/api/v1/surveys/answer",
        {"token": token, "score": 4, "comment": "处理及时"},
        content_type="application/json",
    )
    assert answered.status_code == 201
    again = client.post(
        "/api/v1/surveys/answer", {"token": token, "score": 1}, content_type="application/json"
    )
    assert again.status_code == 409
    report = desk.get("/api/v1/service/report?by=department").json()
    assert [(r["key"], r["received"], r["satisfaction"]) for r in report["rows"]] == [
        ("售后部", 1, "4.00")
    ]
    assert desk.get("/api/v1/service/report?by=planet").status_code == 422

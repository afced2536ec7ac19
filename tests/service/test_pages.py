"""The service pages (SVC-1, SVC-4): the public form takes a complaint in (bad input shown
beside its field, nothing stored; a bot thanked and ignored), the ticket page takes it to
closed through the same services, the survey page answers once, attachments only to who
may see the ticket, and the list exports."""

import pytest

from leadflow.service.models import RootCause, Survey, Ticket, TicketCategory
from leadflow.service.surveys import survey_token

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def form_values(**changes):
    return {
        "kind": "complaint",
        "category": TicketCategory.objects.get(name="交付物流").pk,
        "subject": "到货延迟",
        "content": "约定上周到货，至今未到",
        "contact_name": "王经理",
        "contact_phone": "13800138000",
        **changes,
    }


def test_the_public_form_takes_a_complaint_and_refuses_bad_input(client, people, customer):
    # SPEC: SVC-1 — from the public service form; matched to the customer by the phone
    refused = client.post("/service/form/", form_values(contact_phone="12", subject=""))
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "不是中国大陆电话号码" in page
    assert "必填：一句话说明问题" in page
    assert not Ticket.objects.exists()
    bot = client.post("/service/form/", form_values(website="http://spam"))
    assert bot.status_code == 200
    assert not Ticket.objects.exists()
    taken = client.post("/service/form/", form_values())
    ticket = Ticket.objects.get()
    assert ticket.number in taken.content.decode()
    assert (ticket.source, ticket.customer, ticket.received_by) == ("form", customer, None)


def test_the_ticket_page_takes_it_to_closed(people, customer, client_for, make_user):
    # SPEC: SVC-1 — each button calls the service; the page shows each step
    desk = client_for(people.desk)
    new = desk.post(
        "/service/tickets/new/",
        {**form_values(), "customer": customer.pk, "source": "phone", "severity": "high"},
    )
    ticket = Ticket.objects.get()
    assert new.status_code == 302
    assert new["Location"] == f"/service/tickets/{ticket.pk}/"
    url = f"/service/tickets/{ticket.pk}/"
    desk.post(url + "contact/", {"text": "已回电，确认物流信息"})
    desk.post(
        url + "assign/", {"department": people.after_sales.pk, "assignee": people.engineer.pk}
    )
    client_for(people.engineer).post(url + "propose/", {"solution": "加急补发"})
    desk.post(url + "accepted/", {"text": "客户同意"})
    desk.post(url + "revisit/", {"text": "已收到货"})
    refused = desk.post(url + "close/", {}, follow=True).content.decode()
    assert "投诉未关闭" in refused  # the root cause is required
    desk.post(
        url + "close/",
        {
            "root_cause": RootCause.objects.get(name="供应商原因").pk,
            "root_cause_text": "物流商延误",
            "corrective_action": "更换物流商",
        },
    )
    ticket.refresh_from_db()
    assert ticket.state == "closed"
    shown = desk.get(url).content.decode()
    for label in ("已联系客户", "提出了解决方案", "客户接受了方案", "已回访", "已关闭"):
        assert label in shown
    assert client_for(people.outsider).get(url).status_code == 404
    export = client_for(make_user("management")).get("/service/tickets/?export=csv")
    assert ticket.number in export.content.decode("utf-8-sig")


def test_the_survey_page_answers_once(people, customer, client, client_for):
    # SPEC: SVC-4 — the public survey page; a reused or changed link is refused
    from leadflow.service.surveys import survey_send

    survey = survey_send(customer=customer)
    url = f"/service/survey/{survey_token(survey)}/"
    assert "满意度调查" in client.get(url).content.decode()
    assert client.post(url, {"score": "9"}).status_code == 422
    assert client.post(url, {"score": "5", "comment": "很好"}).status_code == 200
    again = client.get(url)
    assert again.status_code == 410
    assert "已经回复过了" in again.content.decode()
    forged = client.get(url.replace(url[-6:-1], "xxxxx"))
    assert forged.status_code == 410
    assert "链接无效" in forged.content.decode()
    assert Survey.objects.get(pk=survey.pk).score == 5


def test_attachments_only_to_who_may_see_the_ticket(people, customer, client_for):
    # SPEC: SEC-1 — checked like expense receipts, served only in scope
    from django.core.files.uploadedfile import SimpleUploadedFile

    desk = client_for(people.desk)
    desk.post(
        "/service/tickets/new/",
        {
            **form_values(),
            "customer": customer.pk,
            "source": "visit",
            "files": [
                SimpleUploadedFile("照片.png", PNG, content_type="image/png"),
            ],
        },
    )
    ticket = Ticket.objects.get()
    attachment = ticket.attachments.get()
    url = f"/service/tickets/{ticket.pk}/attachments/{attachment.pk}/"
    assert desk.get(url).status_code == 200
    assert client_for(people.outsider).get(url).status_code == 404
    bad = desk.post(
        f"/service/tickets/{ticket.pk}/attach/",
        {"files": [SimpleUploadedFile("virus.png", b"MZ\x90\x00", content_type="image/png")]},
        follow=True,
    )
    assert "不是 JPEG、PNG 或 PDF 文件" in bad.content.decode()
    assert ticket.attachments.count() == 1


def test_service_lists_are_kept_by_service_managers(people, client_for, make_user):
    # SPEC: SVC-1, SVC-3 — categories and root causes are data, switched off, never deleted
    manager = client_for(people.desk)  # customer service keeps them (seeded right)
    manager.post("/service/settings/", {"kind": "category", "name": "安装调试"})
    added = TicketCategory.objects.get(name="安装调试")
    refused = manager.post(
        "/service/settings/", {"kind": "category", "name": "安装调试"}, follow=True
    )
    assert "已经有了" in refused.content.decode()
    manager.post("/service/settings/", {"kind": "category", "item": added.pk})
    added.refresh_from_db()
    assert added.active is False
    assert client_for(people.rep).get("/service/settings/").status_code == 404
    boss = client_for(make_user("management"))
    export = boss.get("/service/reports/?export=csv&table=categories")
    assert export.content.decode("utf-8-sig").splitlines()[0] == "类别,投诉"

"""The email pages (AUT-3): a template written, refused with the reason beside the field,
previewed with a real lead, a test sent to oneself over SMTP; a send started from the
page with its progress and figures; an address stopped by hand. Closed to a rep."""

import pytest

from leadflow.mailing.models import EmailSend, EmailTemplate, Suppression
from leadflow.marketing.models import Campaign
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


def test_write_preview_and_test_a_template(marketer, client_for, smtp_server, run_tasks):
    # SPEC: AUT-3 — previewed with a real lead, sent as a test to oneself
    page = client_for(marketer)
    refused = page.post(
        "/mailing/templates/new/",
        {
            "name": "坏模板",
            "purpose": "marketing",
            "subject": "{{ secret }}",
            "html": "x",
            "text": "x",
        },
    )
    assert refused.status_code == 422
    assert "secret 不是合并字段" in refused.content.decode()
    page.post(
        "/mailing/templates/new/",
        {
            "name": "年末回馈",
            "purpose": "marketing",
            "subject": "{{ lead.name }} 年末回馈",
            "html": "<p>{{ owner.name }} 向您问好</p>",
            "text": "{{ owner.name }} 向您问好",
        },
    )
    template = EmailTemplate.objects.get(name="年末回馈")
    lead("甲公司", "jia@example.cn")
    shown = page.get(f"/mailing/templates/{template.pk}/").content.decode()
    assert "甲公司 年末回馈" in shown
    page.post(f"/mailing/templates/{template.pk}/", {"action": "test"})
    run_tasks()
    [email] = smtp_server.messages
    assert email["X-Envelope-To"] == "zhao@example.cn"
    assert str(email["Subject"]).strip() == "[测试] 【广告】甲公司 年末回馈"


def test_a_send_from_the_page_shows_its_progress(
    marketer, template, client_for, smtp_server, run_tasks, make_user
):
    # SPEC: AUT-3 — a 群发 with its own progress and figures
    lead("甲公司", "jia@example.cn")
    fair = Campaign.objects.create(name="秋季展会", state="running")
    page = client_for(marketer)
    page.post(
        "/mailing/sends/",
        {"name": "新品", "template": template.pk, "grade": "", "campaign": fair.pk},
    )
    run_tasks()
    send = EmailSend.objects.get()
    shown = page.get(f"/mailing/sends/{send.pk}/").content.decode()
    assert "已发送 1 / 1，待发送 0。" in shown
    listed = page.get("/mailing/templates/").content.decode()
    assert "新品发布" in listed  # with its sent count and rates
    rolled_up = page.get("/mailing/sends/").content.decode()
    assert "按营销活动" in rolled_up  # ANA-5: the campaign's email figures
    assert "秋季展会" in rolled_up
    assert "按线索渠道" in rolled_up
    page.post("/mailing/suppressions/", {"email": "Yi@Example.cn"})
    assert Suppression.objects.get().source == "by hand"
    assert client_for(make_user()).get("/mailing/sends/").status_code == 404


def test_the_api_saves_sends_and_counts(marketer, template, api_for, smtp_server, run_tasks):
    # SPEC: AUT-3 — templates, sends and their figures in the OpenAPI schema
    api = api_for(marketer)
    refused = api.post(
        "/api/v1/email/templates",
        {"name": "越界", "subject": "{% debug %}", "html": "x", "text": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "不允许使用标签 debug" in refused.json()["error"]["fields"]["subject"]
    lead("甲公司", "jia@example.cn")
    created = api.post(
        "/api/v1/email/sends",
        {"name": "接口群发", "template": template.pk},
        content_type="application/json",
    )
    assert created.status_code == 201
    run_tasks()
    figures = api.get(f"/api/v1/email/sends/{created.json()['id']}").json()
    assert (figures["state"], figures["stats"]["sent"]) == ("done", 1)

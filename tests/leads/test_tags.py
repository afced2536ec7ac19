"""Tags on leads (AUT-1): put on and taken off by a person on the lead page or the API,
each change on the timeline once (where journeys start) and audited; a bad tag is refused
with its field and nothing changes; only whoever sees the lead tags it."""

import pytest

from leadflow.core.errors import ValidationFailed
from leadflow.core.models import AuditLog
from leadflow.leads.models import LeadEvent, LeadTag
from leadflow.leads.tags import lead_tag_add, lead_tag_remove
from tests.leads.conftest import accepted_lead

pytestmark = pytest.mark.django_db


def test_a_tag_goes_on_once_and_comes_off(capture, rep):
    # SPEC: AUT-1 — tag added (a trigger reads the timeline event)
    lead = accepted_lead(capture, rep)
    assert lead_tag_add(lead=lead, tag=" 展会 VIP ", by=rep) is True
    assert lead_tag_add(lead=lead, tag="展会 VIP", by=rep) is False
    assert list(LeadTag.objects.filter(lead=lead).values_list("name", flat=True)) == ["展会 VIP"]
    events = LeadEvent.objects.filter(lead=lead, kind__in=("tagged", "untagged"))
    assert [(e.kind, e.data) for e in events] == [("tagged", {"tag": "展会 VIP"})]
    assert lead_tag_remove(lead=lead, tag="展会 VIP", by=rep) is True
    assert not LeadTag.objects.filter(lead=lead).exists()
    assert AuditLog.objects.filter(action__in=("lead.tagged", "lead.untagged")).count() == 2
    with pytest.raises(ValidationFailed) as refused:
        lead_tag_add(lead=lead, tag="甲,乙", by=rep)
    assert "tag" in refused.value.fields
    assert not LeadTag.objects.filter(lead=lead).exists()


def test_the_lead_page_and_the_api_tag_a_lead_in_scope(
    capture, rep, make_user, client_for, api_for
):
    # SPEC: AUT-1, SEC-1 — the same service from the page and the API, within the data scope
    lead = accepted_lead(capture, rep)
    page = client_for(rep).post(f"/leads/{lead.pk}/tags/", {"tag": "待培育"})
    assert page.status_code == 302
    answer = api_for(rep).post(
        f"/api/v1/leads/{lead.pk}/tags", {"tag": "展会"}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["tags"] == ["展会", "待培育"]
    refused = api_for(rep).post(
        f"/api/v1/leads/{lead.pk}/tags", {"tag": "x" * 31}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert "tag" in refused.json()["error"]["fields"]
    other = make_user(display_name="张三")
    outside = api_for(other).post(
        f"/api/v1/leads/{lead.pk}/tags", {"tag": "偷看"}, content_type="application/json"
    )
    assert outside.status_code == 404
    gone = api_for(rep).delete(f"/api/v1/leads/{lead.pk}/tags/待培育")
    assert gone.json()["tags"] == ["展会"]

"""A marketer, a marketing template with merge fields and a link, and leads to send to."""

import pytest

from leadflow.leads.capture import lead_capture
from leadflow.leads.cleaning import Consent
from leadflow.mailing.sending import template_save

CONSENT = Consent(notice_version="privacy-2026-01", channel="web")


@pytest.fixture
def marketer(make_user):
    return make_user("marketing", display_name="赵敏", email="zhao@example.cn")


@pytest.fixture
def template(marketer):
    return template_save(
        values={
            "name": "新品发布",
            "purpose": "marketing",
            "subject": "{{ lead.name }}，新品来了",
            "html": '<p>您好 {{ lead.contact_name|default:"客户" }}</p>'
            '<p><a href="https://example.cn/new">看看新品</a></p>',
            "text": '您好 {{ lead.contact_name|default:"客户" }}，新品见 https://example.cn/new',
        },
        by=marketer,
    )


def lead(name, email, *, basis="consent", contact="王小明"):
    values = {
        "name": name,
        "contact_name": contact,
        "email": email,
        "industry": "制造业",
        "need": "采购设备",
        "channel": "G",
        "channel_detail": "官网-产品页",
    }
    consent = CONSENT if basis == "consent" else Consent(lawful_basis=basis)
    return lead_capture(values=values, consent=consent, via="import").lead

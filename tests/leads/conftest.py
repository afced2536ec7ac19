import pytest

from leadflow.leads.capture import Consent, capture_lead

CONSENT = Consent(notice_version="privacy-2026-01", channel="web")


def lead_values(**changes):
    values = {
        "name": "上海某某科技有限公司",
        "contact_name": "王小明",
        "mobile": "+86 138-0013-8000",
        "email": "wang@example.cn",
        "industry": "制造业",
        "need": "采购设备",
        "channel": "G",
        "channel_detail": "官网-产品页",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


@pytest.fixture
def capture(db):
    def run(by=None, via="api", consent=CONSENT, **changes):
        return capture_lead(values=lead_values(**changes), consent=consent, via=via, by=by)

    return run

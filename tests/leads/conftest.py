import threading

import pytest
from django.db import connection

from leadflow.leads.assignment import lead_accept, lead_assign_manual
from leadflow.leads.capture import lead_capture
from leadflow.leads.cleaning import Consent

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
        return lead_capture(values=lead_values(**changes), consent=consent, via=via, by=by)

    return run


@pytest.fixture
def rep(org, make_user):
    """李明, a rep in 华东一组, whose leader is 王经理."""
    leader = make_user("sales_manager", team=org.east, display_name="王经理")
    org.east.leader = leader
    org.east.save()
    return make_user(team=org.east, display_name="李明")


def accepted_lead(capture, rep, **values):
    """A new lead given to `rep` by their leader and accepted."""
    lead = capture(**values).lead
    lead.refresh_from_db()
    lead_assign_manual(lead=lead, rep=rep, reason="测试", by=rep.team.leader)
    lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def twice_at_once(call) -> list:
    """Run `call()` in two threads released together, as two workers would; the results.
    An exception in either thread is raised here once both have ended (a thread's own
    exception would otherwise only be printed, and the test go on with one result)."""
    results, errors, start = [], [], threading.Barrier(2)

    def worker():
        start.wait()
        try:
            results.append(call())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results

"""Tracking (AUT-3): the open pixel with machine opens counted apart, signed click links
(a forged one is 404 and records nothing; a second click counts, once as unique), and an
unsubscribe page a link scanner's GET cannot trigger."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from leadflow.leads.models import LeadEvent
from leadflow.mailing.models import EmailEvent, EmailMessage, Suppression
from leadflow.mailing.sending import click_url, send_create
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(template, marketer, smtp_server, run_tasks):
    lead("甲公司", "jia@example.cn")
    send_create(template=template, name="新品", filters={}, by=marketer)
    run_tasks()
    return EmailMessage.objects.get()


def test_opens_count_people_and_set_machines_apart(sent, client):
    # SPEC: AUT-3 — first and total opens; prefetch and opens seconds after delivery apart
    pixel = f"/t/o/{sent.token}.gif"
    assert client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0").status_code == 200  # too soon
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0 (via ggpht.com GoogleImageProxy)")
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Foxmail")
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Foxmail")
    sent.refresh_from_db()
    assert (sent.opens, sent.machine_opens) == (2, 2)
    assert sent.first_opened_at is not None
    assert client.get("/t/o/nosuchtoken.gif").status_code == 200  # a pixel, recorded nowhere
    # The lead's score counts each opened marketing email once (LEAD-SCR-4).
    assert LeadEvent.objects.filter(lead=sent.lead, kind="email_opened").count() == 1
    assert EmailEvent.objects.filter(kind="opened").count() == 4


def test_clicks_go_through_signed_links_only(sent, client):
    # SPEC: AUT-3 — the token signs the message and the URL: no open redirect
    link = click_url(sent.token, "https://example.cn/new")
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        first = client.get(link.removeprefix("http://127.0.0.1:8000"))
        client.get(link.removeprefix("http://127.0.0.1:8000"))  # the same person again
    assert (first.status_code, first["Location"]) == (302, "https://example.cn/new")
    path = link.removeprefix("http://127.0.0.1:8000")
    tampered = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    elsewhere = "/t/c/" + signing.dumps([sent.token, "https://evil.example/"], salt="other")
    assert client.get(tampered).status_code == 404
    assert client.get(elsewhere).status_code == 404
    sent.refresh_from_db()
    assert sent.clicks == 2
    clicks = EmailEvent.objects.filter(kind="clicked")
    assert clicks.count() == 2
    assert clicks.values("message").distinct().count() == 1  # one unique click


def test_a_get_of_the_unsubscribe_link_unsubscribes_nobody(sent, client):
    # SPEC: AUT-3 — scanners fetch links; only the button or the one-click POST counts
    page = client.get(f"/u/{sent.token}/")
    assert page.status_code == 200
    assert "退订" in page.content.decode()
    assert not Suppression.objects.exists()
    client.post(f"/u/{sent.token}/")
    assert Suppression.objects.get().source == "link"
    assert client.get("/u/forged/").status_code == 404

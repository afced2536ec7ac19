"""Chinese everywhere (#25 item 1): every page and every kind of API error, rendered in
zh-hans, shows no English sentence and no \\uXXXX escapes."""

import json
import re

import pytest

from leadflow.customers.profiles import customer_create
from tests.leads.conftest import accepted_lead

pytestmark = pytest.mark.django_db

# Three English words in a row is a sentence someone forgot to translate; a code or a
# brand name is at most two.
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ ,'’-]+[a-z]+){2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_in(html: str) -> list[str]:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    shown = re.findall(r">([^<]+)<", html)
    shown += re.findall(r'(?:placeholder|title|aria-label)="([^"]*)"', html)
    return [found for text in shown for found in ENGLISH.findall(text)]


def test_a_lead_and_a_customer_read_in_chinese(admin_user, org, client_for, capture, rep):
    # Every other page is read by test_pages (in zh-hans, with english_in).
    lead = accepted_lead(capture, rep)
    customer = customer_create(values={"name": "某某精密机械有限公司"}, by=rep)
    client = client_for(admin_user)
    for path in (f"/leads/{lead.pk}/", f"/customers/{customer.pk}/", "/", "/leads/"):
        assert english_in(client.get(path).content.decode()) == [], path


def test_every_kind_of_api_error_reads_in_chinese(rep, api_for, client):
    api = api_for(rep)
    errors = [
        api.get("/api/v1/no-such-thing"),  # 404 endpoint
        client.get("/api/v1/leads"),  # no token
        api.post("/api/v1/leads", data="[1]", content_type="application/json"),  # not an object
        api.post("/api/v1/leads", data="{}", content_type="application/json"),  # fields missing
        api.get("/api/v1/leads/999999"),  # not found
        api.get("/api/v1/leads?limit=abc"),  # a query that does not parse
    ]
    for response in errors:
        assert response.status_code >= 400
        raw = response.content.decode()
        assert "\\u" not in raw, raw  # readable Chinese, not escapes
        body = json.loads(raw)["error"]
        assert CJK.search(body["message"]), body
        for reason in body["fields"].values():
            assert CJK.search(reason), body


def test_an_anonymous_404_offers_sign_in_not_the_app(client, rep, client_for):
    # #25 item 10 — nobody signed in sees no bell, menu or sign-out
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "/notifications/" not in html
    assert "/logout/" not in html
    assert "/login/" in html
    assert "/notifications/" in client_for(rep).get("/no-such-page/").content.decode()

"""The customer pages (CUS-1, CUS-3, CUS-4)."""

import pytest

from leadflow.customers.models import Customer, CustomerEvent

pytestmark = pytest.mark.django_db


def test_enter_a_customer_change_it_and_add_a_contact(make_user, client_for):
    # SPEC: CUS-1, CUS-3, CUS-4 — by hand in the UI; changes kept; grade shown.
    rep = make_user()
    client = client_for(rep)
    assert "/customers/new/" in client.get("/customers/").content.decode()
    form = {
        "name": "无锡某某电子有限公司",
        "kind": "company",
        "category": "potential",
        "expected_annual_sales": "12",
        "contact-name": "吴经理",
        "contact-mobile": "138-0013-8001",
    }
    response = client.post("/customers/new/", form)
    customer = Customer.objects.get()
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.grade, customer.contacts.get().mobile) == ("C", "+8613800138001")

    refused = client.post("/customers/new/", {**form, "contact-name": ""}).content.decode()
    assert "已有该客户" in refused or "已存在" in refused
    assert Customer.objects.count() == 1

    profile = {**form, "expected_annual_sales": "70", "legal_representative": "吴总"}
    assert client.post(f"/customers/{customer.pk}/", profile).status_code == 302
    client.post(f"/customers/{customer.pk}/contacts/", {"name": "郑工", "email": "bad@"})
    client.post(
        f"/customers/{customer.pk}/contacts/", {"name": "郑工", "email": "zheng@example.cn"}
    )
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "等级 B" in page
    assert "吴总" in page
    assert "郑工" in page
    kinds = list(CustomerEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "changed", "graded", "contact_added"]

    assert client.get("/customers/?grade=B").content.decode().count("无锡某某电子有限公司") == 1
    assert "无锡某某电子有限公司" not in client.get("/customers/?grade=A").content.decode()
    assert client_for(make_user()).get(f"/customers/{customer.pk}/").status_code == 404

"""Customer contact data encrypted at rest, found by keyed hashes (SEC-2)."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadflow.core import crypto
from leadflow.customers.intake import Person, Prospect, existing_customer
from leadflow.customers.models import Contact, Customer
from leadflow.customers.profiles import customer_create
from leadflow.customers.queries import filtered_customers


def _raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_phones_emails_and_addresses_are_tokens_in_the_database(make_user):
    # SPEC: SEC-2 — stored encrypted; the application reads them plain.
    rep = make_user()
    customer = customer_create(
        values={"name": "某某有限公司", "address": "上海市浦东新区某路 1 号"},
        contacts=[{"name": "周经理", "mobile": "13800138000", "email": "Zhou@Example.cn"}],
        by=rep,
    )
    [(mobile, email, landline, mobile_hash)] = _raw(
        "SELECT mobile, email, landline, mobile_hash FROM customers_contact"
    )
    [(address,)] = _raw("SELECT address FROM customers_customer")
    for stored in (mobile, email, address):
        assert stored.startswith(crypto.TOKEN_PREFIX)  # a token, not the value
    assert (crypto.decrypt(email), crypto.decrypt(address)) == (
        "zhou@example.cn",
        "上海市浦东新区某路 1 号",
    )
    assert crypto.decrypt(mobile) == "+8613800138000"
    assert (landline, len(mobile_hash)) == ("", 64)
    contact = Contact.objects.get()
    assert (contact.mobile, contact.email) == ("+8613800138000", "zhou@example.cn")
    assert Customer.objects.get().address == "上海市浦东新区某路 1 号"

    # Found whole by phone or email, through the hashes.
    for text in ("138 0013 8000", "+86 13800138000", "zhou@example.cn"):
        assert list(filtered_customers(rep, q=text)) == [customer]
    assert list(filtered_customers(rep, q="13800138001")) == []
    with pytest.raises(TypeError):
        list(Contact.objects.filter(mobile="+8613800138000"))


@pytest.mark.django_db
def test_a_person_is_matched_by_the_hash_of_their_mobile(make_user):
    # SPEC: SEC-2 — keyed hashes for dedupe (a person's customer found by mobile).
    rep = make_user()
    person = customer_create(
        values={"name": "王小明", "kind": "individual"},
        contacts=[{"name": "王小明", "mobile": "13900139000"}],
        by=rep,
    )
    prospect = Prospect(
        kind="individual",
        name="王小明 先生",
        name_key="",
        credit_code="",
        industry="",
        region="",
        address="",
        employees=None,
        contact=Person(name="王小明", mobile="+8613900139000"),
    )
    assert existing_customer(prospect) == person


@pytest.mark.django_db
def test_an_old_key_still_opens_rows_while_keys_rotate(make_user, settings):
    # SPEC: SEC-2 — keys come from the environment; rotation keeps old rows readable.
    rep = make_user()
    customer_create(
        values={"name": "某某有限公司"}, contacts=[{"name": "周", "mobile": "13800138000"}], by=rep
    )
    settings.DATA_KEYS = [Fernet.generate_key().decode(), *settings.DATA_KEYS]
    crypto.forget_keys()
    try:
        assert Contact.objects.get().mobile == "+8613800138000"
        settings.DATA_KEYS = settings.DATA_KEYS[:1]  # the old key gone: refused, loudly
        crypto.forget_keys()
        with pytest.raises(ValueError, match="no configured key"):
            Contact.objects.get()
    finally:
        crypto.forget_keys()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_what_was_stored_plain(make_user):
    # SPEC: SEC-2 — existing rows are encrypted in place, nothing lost.
    rep = make_user()
    before, after = [("customers", "0010_data_review")], [("customers", "0011_encrypted_contacts")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    old_customer = apps.get_model("customers", "Customer").objects.create(
        kind="company",
        name="老客户有限公司",
        address="北京市海淀区",
        category="closed",
        owner_id=rep.pk,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )
    apps.get_model("customers", "Contact").objects.create(
        customer=old_customer,
        name="钱",
        mobile="+8613700137000",
        email="qian@example.cn",
        created_at="2026-01-01T00:00:00Z",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    [(mobile, mobile_hash)] = _raw("SELECT mobile, mobile_hash FROM customers_contact")
    assert crypto.decrypt(mobile) == "+8613700137000"
    assert mobile_hash == crypto.lookup_hash("+8613700137000")
    [(address,)] = _raw("SELECT address FROM customers_customer")
    assert crypto.decrypt(address) == "北京市海淀区"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

"""Leads' phones, emails and addresses encrypted at rest, history included, found and
deduplicated by keyed hashes (SEC-2, LEAD-CLN-2)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadflow.core import crypto
from leadflow.customers.models import Customer
from leadflow.customers.profiles import customer_update
from leadflow.leads.bulk.importer import import_leads
from leadflow.leads.models import Lead, LeadMerge
from leadflow.leads.queries import LeadFilters, filtered_leads
from tests.leads.conftest import accepted_lead
from tests.leads.test_conversion import win
from tests.leads.test_import import write_csv

PLAIN = ("13800138000", "wang@example.cn", "张江路88号")


def _raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _no_plain_text(rows) -> None:
    text = repr(rows)
    for plain in PLAIN:
        assert plain not in text


@pytest.mark.django_db
def test_captured_imported_and_merged_leads_keep_no_plain_personal_data(
    capture, admin_user, tmp_path
):
    # SPEC: SEC-2 — lead mobile, email and address were plain text, merge snapshots too
    first = capture(address="上海市浦东新区张江路88号").lead
    capture(need="更换设备", address="上海市浦东新区张江路88号 2 楼")  # merges into it
    import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行", by=admin_user)
    rows = _raw("SELECT mobile, email, address, landline FROM leads_lead")
    _no_plain_text(rows)
    [(mobile, email, address)] = _raw(
        "SELECT mobile, email, address FROM leads_lead WHERE id = %s", [first.pk]
    )
    assert (crypto.decrypt(mobile), crypto.decrypt(email)) == ("+8613800138000", "wang@example.cn")
    assert crypto.decrypt(address).startswith("上海市浦东新区张江路88号")
    _no_plain_text(_raw("SELECT survivor_before, survivor_after FROM leads_leadmerge"))
    assert LeadMerge.objects.filter(survivor=first).exists()
    # The application reads them plain, and finds leads by whole phone or email.
    first.refresh_from_db()
    assert (first.mobile, first.email) == ("+8613800138000", "wang@example.cn")
    for text in ("138 0013 8000", "wang@example.cn"):
        assert first in filtered_leads(admin_user, LeadFilters(q=text))
    with pytest.raises(TypeError):
        list(Lead.objects.filter(mobile="+8613800138000"))


@pytest.mark.django_db
def test_old_values_in_customer_history_are_encrypted(capture, rep):
    # SPEC: SEC-2 — an address's old and new values sat plain in the event JSON
    win(accepted_lead(capture, rep, address="上海市徐汇区老地址1号"), rep)
    customer = Customer.objects.get()
    customer_update(customer=customer, changes={"address": "上海市浦东新区张江路88号"}, by=rep)
    events = _raw("SELECT data FROM customers_customerevent")
    _no_plain_text(events)
    assert "老地址" not in repr(events)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_leads_stored_plain_and_back(make_user):
    # SPEC: SEC-2 — existing rows encrypted in place, nothing lost either way
    before, after = (
        [("leads", "0024_deal_partial_unique")],
        [("leads", "0025_encrypt_personal_data")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    moment = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    apps.get_model("leads", "Lead").objects.create(
        number="G20260302001",
        name="老线索有限公司",
        kind="company",
        mobile="+8613800138000",
        email="wang@example.cn",
        address="上海市浦东新区张江路88号",
        industry="制造业",
        need="采购设备",
        channel_id=apps.get_model("leads", "Channel").objects.get(code="G").pk,
        acquired_at=moment,
        values_at=moment,
        lawful_basis="consent",
        captured_via="api",
        created_at=moment,
        updated_at=moment,
        status="to_assign",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    _no_plain_text(_raw("SELECT mobile, email, address FROM leads_lead"))
    [(mobile_hash,)] = _raw("SELECT mobile_hash FROM leads_lead")
    assert mobile_hash == crypto.lookup_hash("+8613800138000")

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert _raw("SELECT mobile, email, address FROM leads_lead") == [
        ("+8613800138000", "wang@example.cn", "上海市浦东新区张江路88号")
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    lead = Lead.objects.get()
    assert (lead.mobile, lead.address) == ("+8613800138000", "上海市浦东新区张江路88号")

"""Capturing one lead: numbering, consent, validation, dedupe, non-target, verification."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from leadflow.core.errors import ValidationFailed
from leadflow.leads.capture import lead_capture, lead_merge_undo, lead_verify
from leadflow.leads.cleaning import Consent
from leadflow.leads.models import Channel, Lead, LeadMerge, LeadStatus, NonTargetRule
from tests.leads.conftest import CONSENT, lead_values

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_number_is_channel_code_date_and_daily_sequence(capture):
    # SPEC: LEAD-CAP-4 — e.g. G20231028001, in the company's time zone.
    with time_machine.travel(datetime(2023, 10, 28, 9, 0, tzinfo=SH), tick=False):
        first = capture().lead
        second = capture(mobile="13900139000", email="li@example.cn", name="北京另一家公司").lead
        exhibition = capture(
            channel="Z", mobile="13700137000", email="z@example.cn", name="广州展会公司"
        ).lead
    assert (first.number, second.number, exhibition.number) == (
        "G20231028001",
        "G20231028002",
        "Z20231028001",
    )
    # 2023-10-28 23:30 UTC is already the 29th in Shanghai.
    late = capture(
        mobile="13600136000",
        email="x@example.cn",
        name="深圳某厂",
        acquired_at=datetime(2023, 10, 28, 16, 30, tzinfo=ZoneInfo("UTC")),
    ).lead
    assert late.number == "G20231029001"


def test_values_are_normalised_and_stored(capture):
    # SPEC: LEAD-CLN-1
    lead = capture(
        name="  上海某某科技（集团）有限公司 ", email="Wang@Example.CN", mobile="0086 138 0013 8000"
    ).lead
    assert (lead.name, lead.mobile, lead.email) == (
        "上海某某科技(集团)有限公司",
        "+8613800138000",
        "wang@example.cn",
    )
    assert lead.kind == "company"
    assert lead.channel.code == "G"
    assert lead.status == LeadStatus.TO_ASSIGN


def test_landline_typed_as_mobile_is_kept_as_a_landline(capture):
    lead = capture(mobile="010-12345678").lead
    assert (lead.mobile, lead.landline) == ("", "+861012345678")


def test_every_bad_field_is_named_and_nothing_is_saved(capture):
    # SPEC: LEAD-CLN-1, SEC-5
    with pytest.raises(ValidationFailed) as refused:
        capture(mobile="12345", email="not-an-email", industry="", channel="Q", employees="many")
    fields = refused.value.fields
    assert set(fields) == {"mobile", "email", "industry", "channel", "employees"}
    assert fields["mobile"].startswith("'12345': ")
    assert fields["industry"] == "必填"  # the public form's reasons are Chinese (#25)
    assert fields["channel"] == "'Q' 不是启用中的渠道代码或名称"
    assert not Lead.objects.exists()


def test_mobile_or_email_is_required(capture):
    # SPEC: LEAD-CAP-3
    with pytest.raises(ValidationFailed) as refused:
        capture(mobile="", email="")
    assert refused.value.fields == {"mobile": "请填写手机号或电子邮箱（至少一项）"}


def test_capture_without_consent_is_refused(capture):
    # SPEC: LEAD-CAP-5
    with pytest.raises(ValidationFailed) as refused:
        capture(consent=Consent())
    assert "consent" in refused.value.fields
    assert not Lead.objects.exists()


def test_consent_is_recorded(capture):
    # SPEC: LEAD-CAP-5
    lead = capture(consent=Consent(notice_version="privacy-2026-01", channel="官网表单")).lead
    assert (lead.consent_notice_version, lead.consent_channel, lead.lawful_basis) == (
        "privacy-2026-01",
        "官网表单",
        "consent",
    )
    assert lead.consent_at is not None


def test_future_acquisition_time_is_refused(capture):
    with pytest.raises(ValidationFailed) as refused:
        capture(acquired_at="2999-01-01 10:00")
    assert refused.value.fields["acquired_at"] == "'2999-01-01 10:00' 是未来的时间"


def test_same_mobile_merges_into_the_existing_lead_with_newest_values(capture):
    # SPEC: LEAD-CLN-2
    first = capture(email="", need="采购设备", region="上海").lead
    result = capture(
        mobile="138 0013 8000",
        email="new@example.cn",
        need="更换设备",
        region="",
        name="上海某某科技有限公司",
        contact_title="采购经理",
    )
    assert result.merged
    assert result.matched_on == ["company_key", "mobile"]
    survivor = Lead.objects.get(pk=first.pk)
    assert result.lead.pk == first.pk
    # Newest non-empty values win; an empty value never erases.
    assert (survivor.email, survivor.need, survivor.region, survivor.contact_title) == (
        "new@example.cn",
        "更换设备",
        "上海",
        "采购经理",
    )
    capture_row = result.capture
    capture_row.refresh_from_db()
    assert (capture_row.status, capture_row.merged_into_id) == (LeadStatus.MERGED, first.pk)
    assert capture_row.need == "更换设备"  # the capture keeps what it brought
    assert survivor.events.get().kind == "merged"


def test_same_email_or_company_name_also_merges(capture):
    first = capture().lead
    by_email = capture(mobile="13900139000", email="WANG@example.cn", name="王小明").lead
    assert by_email.pk == first.pk
    first.refresh_from_db()
    assert first.name == "上海某某科技有限公司"  # a person's name never replaces a company's
    by_name = capture(
        mobile="13700137000", email="z@example.cn", name="上海某某科技（有限公司"
    ).lead
    assert by_name.pk != first.pk  # a different company name is a different company
    same_name = capture(
        mobile="13600136000", email="q@example.cn", name="上海某某科技有限公司 "
    ).lead
    assert same_name.pk == first.pk


def test_person_names_never_merge(capture):
    # SPEC: LEAD-CLN-2 — company leads only; never a person's name.
    first = capture(name="王小明", mobile="13900139000", email="a@example.cn").lead
    second = capture(name="王小明", mobile="13700137000", email="b@example.cn").lead
    assert first.kind == second.kind == "individual"
    assert first.pk != second.pk


def test_older_capture_only_fills_empty_fields(capture):
    first = capture(region="", need="新的需求", acquired_at="2026-03-01 10:00").lead
    capture(region="北京", need="旧的需求", acquired_at="2026-02-01 10:00")
    first.refresh_from_db()
    assert (first.region, first.need) == ("北京", "新的需求")


def test_a_capture_matching_two_leads_joins_them(capture):
    a = capture(email="", name="甲公司", mobile="13900139000").lead
    b = capture(mobile="", name="乙公司", email="b@example.cn").lead
    result = capture(name="丙公司", mobile="13900139000", email="b@example.cn")
    assert result.lead.pk == a.pk
    b.refresh_from_db()
    assert (b.status, b.merged_into_id) == (LeadStatus.MERGED, a.pk)


def test_merge_can_be_undone_and_is_not_redone(capture, admin_user):
    # SPEC: LEAD-CLN-2 — visible and reversible by an administrator.
    first = capture(need="采购设备").lead
    result = capture(need="更换设备", email="new@example.cn")
    merge = LeadMerge.objects.get(merged=result.capture)
    restored = lead_merge_undo(merge=merge, by=admin_user)
    first.refresh_from_db()
    assert (first.need, first.email) == ("采购设备", "wang@example.cn")
    assert restored.status == LeadStatus.TO_ASSIGN
    assert restored.merged_into is None
    # A third capture with the shared mobile joins the oldest lead, not the separated pair.
    third = capture(email="", need="第三次")
    assert third.lead.pk == first.pk
    restored.refresh_from_db()
    assert restored.status == LeadStatus.TO_ASSIGN


def test_non_target_rules_mark_with_reason(capture):
    # SPEC: LEAD-CLN-3
    student = capture(
        industry="学生", name="李同学", email="s@example.cn", mobile="13900139000"
    ).lead
    recruiting = capture(
        need="我们在招聘销售", name="某人力公司", email="h@example.cn", mobile="13700137000"
    ).lead
    assert (student.status, student.non_target_reason) == (
        LeadStatus.NON_TARGET,
        "学生，非目标客户",
    )
    assert recruiting.status == LeadStatus.NON_TARGET
    NonTargetRule.objects.create(
        field="industry", match="equals", value="房地产", reason="排除行业"
    )
    excluded = capture(
        industry="房地产", name="某地产公司", email="e@example.cn", mobile="13600136000"
    ).lead
    assert excluded.non_target_reason == "排除行业"


def test_channel_that_requires_verification_waits_for_sales_support(capture, make_user):
    # SPEC: LEAD-CLN-4
    Channel.objects.filter(code="Z").update(requires_verification=True)
    lead = capture(channel="Z").lead
    assert lead.status == LeadStatus.TO_VERIFY
    support = make_user("sales_support")
    lead_verify(lead=lead, by=support)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.TO_ASSIGN
    assert lead.events.get().kind == "verified"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_captures_never_share_a_number():
    # SPEC: LEAD-CAP-4 — threads, each with its own database connection.
    numbers, errors = [], []

    def one(index):
        try:
            result = lead_capture(
                values=lead_values(
                    name=f"并发公司{index}", mobile=f"139{index:08d}", email=f"c{index}@example.cn"
                ),
                consent=CONSENT,
                via="api",
            )
            numbers.append(result.lead.number)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(index,)) for index in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == 50
    assert sorted(int(number[-3:]) for number in numbers) == list(range(1, 51))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_captures_of_one_person_end_as_one_live_lead():
    # SPEC: LEAD-CLN-2 — the duplicate check and the insert cannot interleave.
    errors = []

    def one(index):
        try:
            lead_capture(
                values=lead_values(email=f"same{index}@example.cn"), consent=CONSENT, via="api"
            )
        except Exception as error:  # noqa: BLE001
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Lead.objects.exclude(status=LeadStatus.MERGED).count() == 1
    assert Lead.objects.filter(status=LeadStatus.MERGED).count() == 19

"""Customer profiles: entry by hand, every change kept, the grade (CUS-1, CUS-3, CUS-4)."""

from decimal import Decimal

import pytest

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.customers.credit_code import check_character
from leadflow.customers.grading import Thresholds, grade_of
from leadflow.customers.models import Customer, CustomerEvent
from leadflow.customers.profiles import contact_add, customer_create, customer_update

DEFAULT = Thresholds(Decimal(100), Decimal(50), Decimal(10))
CODE = "91310000MA1FL0001" + check_character("91310000MA1FL0001")


@pytest.mark.parametrize(
    ("sales", "power", "potential", "frequency", "grade"),
    [
        (None, "high", "high", 20, ""),  # no expected sales, no grade
        (Decimal(100), "", "", None, "A"),
        (Decimal("99.99"), "", "", None, "B"),
        (Decimal(50), "", "", None, "B"),
        (Decimal(10), "", "", None, "C"),
        (Decimal("9.99"), "", "", None, "D"),
        (Decimal(60), "high", "high", None, "A"),  # two strong signs lift one step
        (Decimal(60), "high", "", 12, "A"),
        (Decimal(60), "high", "", None, "B"),  # one is not enough
        (Decimal(60), "low", "low", None, "C"),  # two weak signs lower one step
        (Decimal(60), "", "low", 1, "C"),
        (Decimal(500), "high", "high", 30, "A"),  # A stays A
        (Decimal(1), "low", "low", 0, "D"),  # D stays D
    ],
)
def test_the_grade_comes_from_sales_and_three_signs(sales, power, potential, frequency, grade):
    # SPEC: CUS-3 — A ≥ 100, B 50–100, C 10–50, D < 10 (万元), plus power, frequency, potential.
    assert (
        grade_of(
            DEFAULT,
            expected_sales=sales,
            purchasing_power=power,
            potential=potential,
            frequency=frequency,
        )
        == grade
    )


def test_thresholds_are_settings_that_must_fall(admin_user):
    # SPEC: CUS-3 — configurable thresholds.
    with pytest.raises(ValidationFailed):
        settings_update(changes={"customers.grade_b_wan": 200}, by=admin_user)
    settings_update(changes={"customers.grade_a_wan": 500}, by=admin_user)
    assert Thresholds.current().a == Decimal(500)


def test_a_customer_entered_by_hand_is_cleaned_and_graded(make_user):
    # SPEC: CUS-1 — profile with validated credit code and contacts; CUS-3 grade.
    rep = make_user()
    customer = customer_create(
        values={
            "name": "  杭州某某（集团）有限公司 ",
            "credit_code": CODE.lower(),
            "legal_representative": "陈总",
            "expected_annual_sales": "120",
            "purchasing_power": "high",
        },
        contacts=[{"name": "周采购", "role": "采购经理", "mobile": "0086 139-0013-9000"}],
        by=rep,
    )
    customer.refresh_from_db()
    assert (customer.name, customer.kind, customer.credit_code) == (
        "杭州某某(集团)有限公司",
        "company",
        CODE,
    )
    assert (customer.grade, customer.category, customer.owner) == ("A", "potential", rep)
    [contact] = customer.contacts.all()
    assert (contact.mobile, contact.role, contact.primary) == ("+8613900139000", "采购经理", True)
    assert CustomerEvent.objects.get(customer=customer).kind == "created"


def test_bad_values_and_duplicates_change_nothing(make_user):
    # SPEC: CUS-1 — every field checked; a customer exists once.
    rep = make_user()
    with pytest.raises(ValidationFailed) as refused:
        customer_create(
            values={"name": "某公司", "credit_code": CODE[:-1] + "0", "satisfaction": 9},
            contacts=[{"name": "王", "mobile": "12345"}],
            by=rep,
        )
    assert set(refused.value.fields) == {"credit_code", "satisfaction"}
    with pytest.raises(ValidationFailed) as refused:
        customer_create(
            values={"name": "某公司"}, contacts=[{"name": "王", "mobile": "12345"}], by=rep
        )
    assert set(refused.value.fields) == {"mobile"}
    assert not Customer.objects.exists()

    customer_create(values={"name": "某某有限公司"}, by=rep)
    with pytest.raises(Conflict) as duplicate:
        customer_create(values={"name": "某某有限公司 "}, by=rep)
    assert duplicate.value.fields["customer"].startswith("/customers/")
    with pytest.raises(Forbidden):
        customer_create(values={"name": "另一家公司"}, by=make_user("customer_service"))


def test_every_change_is_kept_and_the_grade_follows(make_user):
    # SPEC: CUS-4 — every field change kept, important ones marked; CUS-3 grade history.
    rep = make_user()
    customer = customer_create(values={"name": "某某有限公司", "expected_annual_sales": 20}, by=rep)
    assert customer.grade == "C"
    customer_update(
        customer=customer,
        changes={"business_scope": "工业设备销售", "expected_annual_sales": "80"},
        by=rep,
    )
    customer_update(customer=customer, changes={"business_scope": "工业设备销售"}, by=rep)  # no-op
    contact_add(customer=customer, values={"name": "李工", "email": "Li@Example.cn"}, by=rep)
    events = list(CustomerEvent.objects.filter(customer=customer).order_by("id"))
    assert [e.kind for e in events] == ["created", "changed", "graded", "contact_added"]
    changed = events[1].data
    assert changed["fields"]["business_scope"] == ["", "工业设备销售"]
    assert changed["fields"]["expected_annual_sales"] == ["20.00", "80.00"]
    assert changed["important"] is True
    assert events[2].data == {"from": "C", "to": "B", "why": "profile"}
    assert customer.contacts.get().email == "li@example.cn"
    with pytest.raises(ValidationFailed):
        customer_update(customer=customer, changes={"owner": 1}, by=rep)

"""A kind of request for the engine's tests: an expense claim about a department, with an
amount, whose approval writes one audit entry (so a second outcome would show)."""

import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from leadflow.accounts.models import Department, Role
from leadflow.approvals.flows import flow_step_save
from leadflow.approvals.kinds import register_kind
from leadflow.approvals.models import Flow
from leadflow.core.audit import audit_record

CLOSED: list[int] = []


class TestClaim:
    code = "test_claim"
    label = "测试报销"

    def snapshot(self, subject, values):
        return {"purpose": values.get("purpose", ""), "amount": str(values.get("amount", "0"))}

    def amount(self, subject, values):
        return Decimal(str(values.get("amount", "0")))

    def visible_to(self, subject, user):
        return True

    def url(self, subject):
        return "/admin/org/"

    def choices(self, subject, by):
        return []

    def on_approved(self, request, *, by, choices):
        audit_record(actor=by, action="test.claim_paid", obj=request)
        return {"paid": str(request.amount)}

    def on_closed(self, request, *, by):
        CLOSED.append(request.pk)


register_kind(TestClaim())


@pytest.fixture
def people(org, make_user):
    """销售部: 王经理 heads it (and 华东大区 below it has no head); 管理层 has two; 财务 one."""
    head = make_user("sales_manager", department=org.sales, display_name="王经理")
    Department.objects.filter(pk=org.sales.pk).update(manager=head)
    ceo = make_user("management", display_name="赵总")
    vice = make_user("management", display_name="钱副总")
    cashier = make_user("finance", display_name="孙会计")
    rep = make_user(team=org.east, display_name="李明")
    other = make_user(team=org.north, display_name="周强")
    return SimpleNamespace(head=head, ceo=ceo, vice=vice, cashier=cashier, rep=rep, other=other)


@pytest.fixture
def claim_flow(people, admin_user):
    """部门负责人 → 总经理 (over 5,000 元 only, any one of 管理层) → 财务."""
    flow = Flow.objects.create(kind="test_claim", name="测试报销")
    management = Role.objects.get(code="management")
    finance = Role.objects.get(code="finance")
    steps = [
        {"name": "部门负责人审批", "approver": "requester_head", "deadline_hours": 2},
        {
            "name": "总经理审批",
            "approver": "role",
            "role": management,
            "condition_field": "amount",
            "condition_operator": "gt",
            "condition_value": "5000",
            "deadline_hours": 8,
        },
        {"name": "财务审核", "approver": "role", "role": finance, "deadline_hours": 8},
    ]
    for values in steps:
        flow_step_save(flow=flow, values=values, by=admin_user)
    return flow


def all_at_once(*calls) -> list:
    """Run each call in its own thread, released together; what each returned or raised."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as error:  # the test looks at what each got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results

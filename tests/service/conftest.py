"""The service desk, an after-sales department and a customer with a contact."""

from types import SimpleNamespace

import pytest

from leadflow.accounts.models import Department
from leadflow.accounts.org import department_create
from leadflow.customers.profiles import customer_create


@pytest.fixture
def people(org, make_user):
    service = department_create(by=None, name="客户服务组", parent=org.company)
    after_sales = department_create(by=None, name="售后部", parent=org.company)
    desk = make_user("customer_service", department=service, display_name="周晓")
    service_head = make_user("customer_service", department=service, display_name="孙组长")
    head = make_user("sales_rep", department=after_sales, display_name="吴部长")
    engineer = make_user("sales_rep", department=after_sales, display_name="郑工")
    Department.objects.filter(pk=service.pk).update(manager=service_head)
    Department.objects.filter(pk=after_sales.pk).update(manager=head)
    rep = make_user(team=org.east, display_name="李明")
    return SimpleNamespace(
        service=Department.objects.get(pk=service.pk),
        after_sales=Department.objects.get(pk=after_sales.pk),
        desk=desk,
        service_head=service_head,
        head=head,
        engineer=engineer,
        rep=rep,
        outsider=make_user(team=org.north, display_name="陈静"),
    )


@pytest.fixture
def customer(people):
    return customer_create(
        values={"name": "苏州某某机械有限公司"},
        contacts=[{"name": "王经理", "mobile": "13800138000", "email": "wang@example.cn"}],
        by=people.rep,
    )

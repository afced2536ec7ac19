"""The demo company (#25 item 9): a newcomer's first sign-in after `make run` shows
filled lists and charts, and each demo person has a password of their own."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from leadflow.accounts.login import agreement_accept
from leadflow.accounts.models import User
from leadflow.core.company_settings import get_setting
from leadflow.customers.models import Customer
from leadflow.leads.models import Lead, Stage

pytestmark = pytest.mark.django_db


def test_the_demo_company_has_ninety_days_of_work(client_for):
    output = io.StringIO()
    call_command("seed", "--demo", stdout=output)
    passwords = [line.split()[1] for line in output.getvalue().splitlines() if "  " in line[:3]]
    assert len(passwords) == User.objects.count()
    assert len(set(passwords)) == len(passwords)  # nobody shares a password

    leads = Lead.objects.exclude(status="merged")
    assert leads.count() >= 150
    assert leads.values("channel").distinct().count() >= 3
    stages = dict(leads.values_list("stage").annotate(n=Count("id")))
    assert all(stages.get(stage, 0) > 0 for stage in (Stage.INITIAL, Stage.NEEDS, Stage.WON))
    assert Customer.objects.filter(pk__in=leads.values("customer_id")).count() == stages[Stage.WON]

    rep = User.objects.get(username="li.ming")
    agreement_accept(user=rep, version=get_setting("security.agreement_version"))
    home = client_for(rep).get("/")
    pipeline = next(s for s in home.context["sections"] if s.key == "pipeline")
    assert sum(row["count"] for row in pipeline.rows) > 0
    assert len(client_for(rep).get("/leads/").context["leads"]) > 0

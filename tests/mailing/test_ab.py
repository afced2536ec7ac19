"""A/B tests (AUT-4): the decision on counts worked out by hand (significant, not
significant, too small, Fisher's exact for small counts, Holm for three challengers,
the sample size for 80 % power), and a tested send end to end: the test share split by a
hash of the lead, the rest held, the winner decided once and sent to the rest."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadflow.mailing.ab import Arm, compare, decide, holm, sample_size
from leadflow.mailing.models import EmailMessage, EmailSend
from leadflow.mailing.sending import ABTest, ab_decide, in_test, send_create, template_save
from leadflow.mailing.tracking import click_record
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


def test_a_clear_difference_wins():
    # SPEC: AUT-4 — A 40/400 (10 %) vs B 70/400 (17.5 %): expected 55 and 345 in each
    # row, χ² = 2·15²/55 + 2·15²/345 = 9.486, one degree of freedom, p = 0.0021.
    test, p = compare(Arm(40, 400), Arm(70, 400))
    assert test == "chi2"
    assert round(p, 4) == 0.0021
    assert decide([Arm(40, 400), Arm(70, 400)]).winner == 1


def test_no_significant_difference_keeps_the_control():
    # SPEC: AUT-4 — 10 % vs 12 % on 400 each: χ² = 0.817, p = 0.366 ≥ 0.05
    decision = decide([Arm(40, 400), Arm(48, 400)])
    assert (decision.outcome, decision.winner) == ("no_difference", 0)
    assert round(decision.comparisons[0].p_value, 3) == 0.366


def test_too_small_a_sample_decides_nothing():
    # SPEC: AUT-4 — under the minimum per variant (200): no winner, the control
    assert decide([Arm(4, 40), Arm(12, 40)]).outcome == "too_small"


def test_small_counts_use_fishers_exact_test():
    # SPEC: AUT-4 — 1/100 vs 6/100: an expected count of 3.5 < 5, so Fisher's exact test
    test, p = compare(Arm(1, 100), Arm(6, 100))
    assert test == "fisher"
    assert round(p, 3) == 0.118


def test_three_challengers_are_holm_corrected():
    # SPEC: AUT-4 — p 0.01, 0.04, 0.03 → 3·0.01, max(0.03, 2·0.03), max(0.06, 0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_the_sample_each_variant_needs():
    # SPEC: AUT-4 — 18 % → 25 % at 5 % and 80 % power: (1.96·√(2·.215·.785) +
    # 0.8416·√(.18·.82+.25·.75))² / .07² = 539.5 → 540 per variant
    assert sample_size(0.18, 0.07) == 540


def test_a_tested_send_holds_the_rest_for_the_winner(template, marketer, smtp_server, run_tasks):
    # SPEC: AUT-4 — a share split by hash, all variants at once, the winner to the rest
    challenger = template_save(
        values={
            "name": "案例类",
            "purpose": "marketing",
            "subject": "客户案例：{{ lead.name }}",
            "html": '<a href="https://example.cn/case">案例</a>',
            "text": "案例 https://example.cn/case",
        },
        by=marketer,
    )
    for n in range(30):
        lead(f"公司{n}", f"buyer{n}@example.cn")
    send = send_create(
        template=template,
        name="主题测试",
        filters={},
        by=marketer,
        test=ABTest(variants=[challenger], share=50, min_sample=3, decide_after_hours=4),
    )
    run_tasks()
    send.refresh_from_db()
    tested = EmailMessage.objects.filter(send=send)
    in_share = [m.lead_id for m in tested]
    assert all(in_test(send, lead_id)[0] for lead_id in in_share)
    assert send.held == 30 - len(in_share)
    assert {m.variant for m in tested} == {0, 1}
    assert len(smtp_server.messages) == len(in_share)
    later = timezone.now() + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        for message in tested.filter(variant=1):
            signed = message.html.split("/t/c/")[1].split('"')[0]
            click_record(signed.replace("&amp;", "&"), "Mozilla/5.0")
    decided = ab_decide(send, later)
    # Every B message clicked, no A message: B wins (Fisher's exact test on so few).
    assert (decided.decision["outcome"], decided.decision["winner"]) == ("winner", 1)
    run_tasks()
    rest = EmailMessage.objects.filter(send=send).exclude(lead_id__in=in_share)
    assert rest.count() == send.held
    winner = decided.decision["winner"]
    assert {m.variant for m in rest} == {winner}
    assert ab_decide(send, later).decided_at == decided.decided_at  # decided once


def test_the_send_page_starts_a_test_and_shows_it_undecided(
    template, marketer, client_for, smtp_server, run_tasks
):
    # SPEC: AUT-4 — set up from the page; the figures are not a decision before its time
    for n in range(6):
        lead(f"公司{n}", f"buyer{n}@example.cn")
    other = template_save(
        values={
            "name": "乙版",
            "purpose": "marketing",
            "subject": "乙",
            "html": "乙",
            "text": "乙",
        },
        by=marketer,
    )
    page = client_for(marketer)
    refused = page.post(
        "/mailing/sends/",
        {"name": "坏测试", "template": template.pk, "variants": [other.pk], "test_share": "0"},
        follow=True,
    )
    assert "1 到 100（%）" in refused.content.decode()
    page.post(
        "/mailing/sends/",
        {"name": "主题测试", "template": template.pk, "variants": [other.pk], "test_share": "50"},
    )
    run_tasks()
    send = EmailSend.objects.get(name="主题测试")
    shown = page.get(f"/mailing/sends/{send.pk}/").content.decode()
    assert "一次性判定" in shown
    assert "乙版" in shown

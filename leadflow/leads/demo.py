"""Demo data for leads: a website form and the reps' assignment profiles, so `make run`
shows a lead from the public form land in a rep's inbox at once."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError

from .assignment import lead_accept, lead_assign_manual
from .capture import lead_capture
from .cleaning import Consent
from .followup import followup_record
from .models import MAIN_PATH, Channel, FollowUp, Lead, LeadStatus, RepProfile, Stage, WebForm
from .stages import lead_stage_set
from .webforms import webform_create

DEMO_FORM_KEY = "demo"


# The demo reps (accounts.demo) and what they take: East China manufacturing and
# healthcare, or the north.
DEMO_REPS = {
    "li.ming": ("上海,江苏,浙江", "制造业,汽车"),
    "zhang.wei": ("上海,江苏,浙江", "医疗,金融"),
    "chen.jing": ("北京,天津,河北,山东", "制造业,能源"),
}


def demo_leads_create() -> None:
    for username, (regions, industries) in DEMO_REPS.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            RepProfile.objects.get_or_create(
                user=user, defaults={"regions": regions, "industries": industries}
            )
    if WebForm.objects.filter(key=DEMO_FORM_KEY).exists():
        return
    form = webform_create(
        by=None,
        name="官网-产品咨询",
        channel=Channel.objects.get(code="G"),
        channel_detail="官网-产品页",
        consent_text="提交即表示您同意我们为联系您、介绍产品之目的收集并使用您填写的信息。"
        "我们不会将其提供给第三方。您可随时联系我们更正或删除。",
        consent_version="privacy-2026-01",
        thank_you="感谢您的咨询！我们的顾问将在一个工作日内与您联系。",
    )
    WebForm.objects.filter(pk=form.pk).update(key=DEMO_FORM_KEY)


# Ninety days of a small company's leads, made through the same services people use, so
# every list and chart has something in it on the first sign-in (#25).
DEMO_HISTORY_SIZE = 200
_CITIES = [
    ("上海", "上海市浦东新区"),
    ("苏州", "江苏省苏州市"),
    ("杭州", "浙江省杭州市"),
    ("宁波", "浙江省宁波市"),
    ("南京", "江苏省南京市"),
    ("北京", "北京市海淀区"),
    ("天津", "天津市滨海新区"),
    ("济南", "山东省济南市"),
]
_TRADES = [
    ("精密机械", "制造业"),
    ("汽车零部件", "汽车"),
    ("医疗器械", "医疗"),
    ("智能装备", "制造业"),
    ("新能源", "能源"),
    ("金融科技", "金融"),
]
_NEEDS = ["产线自动化改造", "设备采购", "质检系统升级", "仓储物流方案", "数据平台建设"]
_SURNAMES = "王李张刘陈杨赵黄周吴"
TITLES = ["先生", "女士", "经理"]
# stage each accepted lead reaches, in proportion
_STAGE_MIX = [Stage.INITIAL] * 6 + [Stage.NEEDS] * 4 + [Stage.COMPARING] * 3
_STAGE_MIX += [Stage.NEGOTIATING] * 2 + [Stage.WON] * 3 + [Stage.LOST, Stage.INVALID]
# leads older than six weeks are mostly settled, so no rep is near their open-lead limit
_SETTLED_MIX = [Stage.WON] * 4 + [Stage.LOST] * 3 + [Stage.INVALID] * 2 + [Stage.NEGOTIATING]
SETTLED_AFTER = timedelta(days=45)


@transaction.atomic  # one commit for the lot: seconds, not a minute, on SQLite
def demo_lead_history_create(size: int = DEMO_HISTORY_SIZE) -> int:
    """Leads acquired over the last 90 days across channels, most assigned and accepted
    by the demo reps, followed up, moved along the stages; some won (each a customer and
    a deal). Returns how many were made; nothing when the history exists already."""
    if Lead.objects.filter(captured_via="api", created_by__isnull=True).count() >= size // 2:
        return 0
    reps = [u for u in User.objects.filter(username__in=DEMO_REPS) if hasattr(u, "rep_profile")]
    manager = User.objects.filter(username="wang.manager").first()
    channels = list(Channel.objects.filter(active=True, requires_verification=False))
    if not reps or manager is None or not channels:
        return 0
    chance = random.Random(2026)  # noqa: S311 - demo data, the same every time
    now = timezone.now()
    consent = Consent(notice_version="privacy-2026-01", channel="官网表单")
    made = 0
    for n in range(size):
        city, region = chance.choice(_CITIES)
        trade, industry = chance.choice(_TRADES)
        acquired = now - timedelta(days=chance.uniform(0, 90), hours=chance.uniform(0, 8))
        try:
            lead = lead_capture(
                values={
                    "name": f"{city}{chance.choice('华恒瑞德新达信')}{trade}{n:03d}有限公司",
                    "contact_name": chance.choice(_SURNAMES)
                    + chance.choice(["先生", "女士", "经理"]),
                    "mobile": f"139{10_000_000 + n}",
                    "industry": industry,
                    "need": chance.choice(_NEEDS),
                    "region": region,
                    "employees": chance.choice([30, 80, 200, 600, 1500]),
                    "budget": chance.choice(["10万以内", "10-50万", "50-100万", "100万以上"]),
                    "channel": chance.choice(channels).code,
                    "acquired_at": acquired.isoformat(),
                },
                consent=consent,
                via="api",
            ).lead
        except DomainError:
            continue
        made += 1
        _demo_work(lead, chance, reps, manager, acquired)
    return made


def _demo_work(lead: Lead, chance: random.Random, reps: list, manager, acquired) -> None:
    """What the team did with one lead: given to a rep, accepted, contacted, moved on."""
    lead.refresh_from_db()
    if lead.status != LeadStatus.TO_ASSIGN or chance.random() < 0.1:
        return  # left to assign, or refused as non-target by the rules
    rep = chance.choice(reps)
    lead_assign_manual(lead=lead, rep=rep, reason="按区域分配", by=manager)
    if chance.random() < 0.1:
        return  # waiting for the rep to accept
    lead_accept(lead=lead, by=rep)
    settled = timezone.now() - acquired > SETTLED_AFTER
    stage = chance.choice(_SETTLED_MIX if settled else _STAGE_MIX)
    if stage == Stage.INITIAL and chance.random() < 0.5:
        return  # not contacted yet
    followup_record(
        lead=lead,
        by=rep,
        contact_at=timezone.now(),
        method=chance.choice(FollowUp.Method.values),
        feedback="已电话沟通，客户愿意进一步了解方案",
    )
    if stage == Stage.INITIAL:
        return
    last = MAIN_PATH.index(stage) + (stage != Stage.WON) if stage in MAIN_PATH else 2
    for step in MAIN_PATH[1:last]:
        lead_stage_set(lead=lead, stage=step, fact="客户确认需求与预算", by=rep)
    if stage == Stage.WON:
        won_on = timezone.localdate(acquired) + timedelta(days=chance.randint(7, 45))
        lead_stage_set(
            lead=lead,
            stage=Stage.WON,
            fact="合同已签订",
            by=rep,
            deal_amount=Decimal(chance.randrange(20_000, 160_000, 1_000)),
            deal_date=min(won_on, timezone.localdate()),
        )
    elif stage in (Stage.LOST, Stage.INVALID):
        lead_stage_set(
            lead=lead,
            stage=stage,
            fact="客户回复不再考虑",
            by=rep,
            reason="gave_up" if stage == Stage.INVALID else "选择了竞争对手",
        )

"""The guide's two journeys (营销自动化模板 步骤3, 模板2) as starting points: made as drafts
with their email templates, for marketing to adjust and start."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from leadflow.mailing.models import EmailTemplate
from leadflow.mailing.sending import template_save

from .journeys import journey_save
from .models import Journey

EMAILS = {
    "方案": ("A类-定制方案", "{{ lead.name }}，为您准备的定制方案", "附上根据贵司需求准备的方案"),
    "视频": ("A类-演示视频", "{{ lead.name }}，3 分钟看懂我们的产品", "演示视频"),
    "痛点": ("B类-行业痛点", "{{ lead.industry|default:'贵行业' }}的三个常见难题", "行业痛点解读"),
    "案例": ("B类-客户案例", "同行是怎么做的：客户案例", "客户案例合集"),
}
GUIDE: dict[str, dict[str, Any]] = {
    "quick": {
        "label": _("A-class quick conversion (快速转化旅程)"),
        "values": {
            "name": "A类快速转化旅程",
            "trigger": {"kind": "score_up", "threshold": 30},
            "entry": {"grade": "A"},
            "reentry": "never",
            "goal": {"stage": "won"},
        },
        "steps": [
            {"id": "s1", "kind": "email", "email": "方案"},
            {"id": "s2", "kind": "notify", "text": "高意向线索：请添加企业微信好友并一对一沟通"},
            {"id": "s3", "kind": "wait", "hours": 24},
            {"id": "s4", "kind": "branch", "if": {"opened": True}, "yes": "s5", "no": "s7"},
            {"id": "s5", "kind": "notify", "text": "客户已打开方案邮件：请在今天内一对一联系"},
            {"id": "s6", "kind": "exit"},
            {"id": "s7", "kind": "wait", "hours": 24},
            {"id": "s8", "kind": "email", "email": "视频"},
            {"id": "s9", "kind": "priority", "value": "low"},
            {"id": "s10", "kind": "tag", "tag": "待培育"},
        ],
    },
    "nurture": {
        "label": _("B-class nurture (培育旅程)"),
        "values": {
            "name": "B类培育旅程",
            "trigger": {"kind": "grade", "to": "B"},
            "reentry": "after",
            "reentry_days": 90,
            "goal": {"score": 30},
        },
        "steps": [
            {"id": "s1", "kind": "email", "email": "痛点"},
            {"id": "s2", "kind": "wait", "working_days": 3},
            {"id": "s3", "kind": "email", "email": "案例"},
            {"id": "s4", "kind": "wait", "working_days": 5},
            {
                "id": "s5",
                "kind": "branch",
                "if": {"engaged": "opened", "emails": 2},
                "yes": "s6",
                "no": "s8",
            },
            {"id": "s6", "kind": "email", "email": "视频"},
            {"id": "s7", "kind": "exit"},
            {"id": "s8", "kind": "tag", "tag": "待培育"},
        ],
    },
}


@transaction.atomic
def guide_journey(code: str, *, by) -> Journey:
    """A draft of one of the guide's journeys, with its email templates made if missing."""
    guide = GUIDE[code]
    templates = {}
    for short, (name, subject, text) in EMAILS.items():
        found = EmailTemplate.objects.filter(name=name).first()
        templates[short] = found or template_save(
            values={
                "name": name,
                "purpose": "marketing",
                "subject": subject,
                "html": f"<p>{{{{ lead.contact_name|default:'您' }}}}好，</p><p>{text}。</p>",
                "text": f"{{{{ lead.contact_name|default:'您' }}}}好，{text}。",
            },
            by=by,
        )
    steps = [
        {k: v for k, v in step.items() if k != "email"}
        | ({"template": templates[step["email"]].pk} if "email" in step else {})
        for step in guide["steps"]
    ]
    values = dict(guide["values"])
    if Journey.objects.filter(name=values["name"]).exists():
        values["name"] = f"{values['name']}（副本 {Journey.objects.count() + 1}）"
    return journey_save(values=values, steps=steps, by=by)

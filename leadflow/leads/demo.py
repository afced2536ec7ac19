"""Demo data for leads: a website form and the reps' assignment profiles, so `make run`
shows a lead from the public form land in a rep's inbox at once."""

from leadflow.accounts.models import User

from .models import Channel, RepProfile, WebForm
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

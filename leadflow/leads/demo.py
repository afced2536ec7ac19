"""Demo data for leads: a website form, so `make run` shows the public form at once."""

from .models import Channel, WebForm
from .webforms import webform_create

DEMO_FORM_KEY = "demo"


def demo_leads_create() -> None:
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

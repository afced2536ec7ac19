"""The demo company's automation: the guide's two journeys (A-class quick conversion,
B-class nurture) with their email templates, as drafts marketing can read, adjust and
start; drafts, so the demo sends nothing on its own."""

from leadflow.accounts.models import User

from .guide import GUIDE, guide_journey


def demo_journeys_create() -> None:
    marketer = User.objects.get(username="zhao.min")
    for code in GUIDE:
        guide_journey(code, by=marketer)

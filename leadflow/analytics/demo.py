"""The demo company's last month of staff performance (MKT-7): a won deal for each demo
rep in that month (two of them equal, so the ranking shows a shared rank), the month
computed and closed by the sales manager, its awards proposed for the manager to confirm.
Made through the same services a person uses."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.customers.profiles import customer_create
from leadflow.sales.deals import deal_record

from .models import MonthClose
from .performance import month_close

DEMO_MONTH_SALES = {
    "li.ming": ("杭州演示包装机械有限公司", "包装线升级", "260000"),
    "zhang.wei": ("南京演示医疗器械有限公司", "洁净车间设备", "180000"),
    "chen.jing": ("天津演示能源装备有限公司", "检测设备", "180000"),
}


def demo_performance_create() -> None:
    manager = User.objects.filter(username="wang.manager").first()
    if manager is None or MonthClose.objects.exists():
        return
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    zone = timezone.get_current_timezone()
    for number, (username, (buyer, title, amount)) in enumerate(DEMO_MONTH_SALES.items()):
        rep = User.objects.filter(username=username).first()
        if rep is None:
            continue
        signed_on = last_month + timedelta(days=5 + 7 * number)
        won_at = datetime.combine(signed_on, time(15), tzinfo=zone)
        deal_record(
            customer=customer_create(values={"name": buyer}, by=rep),
            owner=rep,
            title=title,
            amount=Decimal(amount),
            signed_on=signed_on,
            opened_at=won_at - timedelta(days=21),
            won_at=won_at,
            source="demo",
            by=rep,
        )
    month_close(month=last_month, by=manager)

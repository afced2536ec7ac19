"""The demo company `make run` creates on first start: departments, teams, a manager,
three reps and an administrator, so a newcomer sees a working organisation at once."""

from django.db import transaction

from .models import Role, User
from .org import department_create, team_create
from .users import new_password, user_create


@transaction.atomic
def demo_company_create() -> dict[str, str]:
    """Create the demo organisation; returns {username: password} to print once.
    Does nothing (returns {}) when any user exists already."""
    if User.objects.exists():
        return {}
    roles = {role.code: role for role in Role.objects.all()}
    admin_password = new_password()
    admin, _ = user_create(
        by=None,
        username="admin",
        display_name="系统管理员",
        role=roles["admin"],
        password=admin_password,
    )
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    company = department_create(by=admin, name="演示科技有限公司")
    marketing = department_create(by=admin, name="市场营销部", parent=company)
    sales = department_create(by=admin, name="销售部", parent=company)
    service = department_create(by=admin, name="客户服务组", parent=company)
    east = team_create(by=admin, name="华东销售一组", department=sales)
    north = team_create(by=admin, name="华北销售组", department=sales)
    team_create(by=admin, name="市场推广组", department=marketing)
    staff = [
        ("wang.manager", "王经理", "sales_manager", sales, east, "wang.manager@demo.leadflow.cn"),
        ("li.ming", "李明", "sales_rep", sales, east, "li.ming@demo.leadflow.cn"),
        ("zhang.wei", "张伟", "sales_rep", sales, east, "zhang.wei@demo.leadflow.cn"),
        ("chen.jing", "陈静", "sales_rep", sales, north, "chen.jing@demo.leadflow.cn"),
        ("zhao.min", "赵敏", "marketing", marketing, None, "zhao.min@demo.leadflow.cn"),
        ("sun.li", "孙丽", "sales_support", sales, None, "sun.li@demo.leadflow.cn"),
        ("zhou.kf", "周晓", "customer_service", service, None, "zhou.kf@demo.leadflow.cn"),
        ("he.cehua", "何策划", "marketing", marketing, None, "he.cehua@demo.leadflow.cn"),
        ("qian.zong", "钱总", "management", company, None, "qian.zong@demo.leadflow.cn"),
        ("wu.kj", "吴会计", "finance", company, None, "wu.kj@demo.leadflow.cn"),
        ("zheng.fw", "郑法务", "legal", company, None, "zheng.fw@demo.leadflow.cn"),
    ]
    created, passwords = {}, {}
    for username, name, role, department, team, email in staff:
        passwords[username] = new_password()  # each their own: they sign in as themselves
        created[username], _ = user_create(
            by=admin,
            username=username,
            display_name=name,
            role=roles[role],
            department=department,
            team=team,
            email=email,
            password=passwords[username],
        )
    manager = created["wang.manager"]
    # Who heads what: the approval flows ask the requester's department head.
    heads = ((sales, manager), (marketing, created["zhao.min"]), (company, created["qian.zong"]))
    for department, head in heads:
        department.manager = head
        department.save(update_fields=["manager"])
    east.leader = manager
    east.save(update_fields=["leader"])
    north.leader = manager
    north.save(update_fields=["leader"])
    return {"admin": admin_password, **passwords}

"""The UI shell: every page renders in Chinese and English, admin pages are closed to
those without the right, and the admin forms go through the same services."""

import pytest

from leadflow.accounts.models import Department, Role, Team, User
from leadflow.core.models import AuditLog, CompanyHoliday
from leadflow.notify.models import Robot
from tests.web.test_chinese import english_in

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/users/",
    "/admin/users/new/",
    "/admin/org/",
    "/admin/roles/",
    "/admin/roles/new/",
    "/admin/settings/",
    "/admin/holidays/",
    "/admin/audit/",
    "/admin/robots/",
    "/admin/deliveries/",
]
EVERYONE_PAGES = [
    "/",
    "/profile/",
    "/notifications/",
    "/leads/",
    "/leads/pool/",
    "/customers/",
    "/customers/new/",
    "/customers/cadence/",
    "/customers/grades/",
    "/customers/access/",
    "/customers/review/",
    "/customers/import/",
    "/analytics/",
    "/analytics/cockpit/",
    "/analytics/customers/",
    "/analytics/marketing/",
    "/analytics/reports/",
    "/leads/prediction/",
    "/approvals/",
    "/approvals/?box=mine",
    "/approvals/delegation/",
    "/approvals/flows/",
    "/marketing/campaigns/",
    "/marketing/campaigns/new/",
    "/marketing/calendar/",
    "/marketing/claims/",
    "/marketing/budgets/",
    "/marketing/analysis/",
    "/marketing/research/",
    "/marketing/research/questionnaires/new/",
    "/sales/contracts/",
    "/sales/contracts/new/",
    "/sales/receivables/",
    "/sales/targets/",
    "/analytics/performance/",
    "/service/tickets/",
    "/service/tickets/new/",
    "/service/improvements/",
    "/service/reports/",
    "/service/form/",
    "/service/settings/",
    "/mailing/templates/",
    "/mailing/templates/new/",
    "/mailing/sends/",
    "/mailing/suppressions/",
    "/journeys/",
    "/journeys/new/",
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_renders_in_both_languages(admin_user, org, client_for, language):
    client = client_for(admin_user)
    client.cookies["django_language"] = language
    for path in (
        EVERYONE_PAGES
        + ADMIN_PAGES
        + [
            f"/admin/users/{admin_user.pk}/",
            f"/admin/org/departments/{org.sales.pk}/",
            f"/admin/org/teams/{org.east.pk}/",
            f"/admin/roles/{Role.objects.first().pk}/",
        ]
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'lang="{language}"' in response.content.decode(), path
        if language == "zh-hans":  # #25: no English sentence left on a Chinese page
            assert english_in(response.content.decode()) == [], path


def test_chinese_is_the_default_and_accept_language_switches(admin_user, client_for):
    client = client_for(admin_user)
    assert "工作台" in client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Dashboard" in english
    assert "工作台" not in english


def test_language_switcher(admin_user, client_for):
    client = client_for(admin_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Dashboard" in client.get("/").content.decode()


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login/").content.decode()
    assert "登录" in page


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_closed_to_a_rep(make_user, client_for, path):
    assert client_for(make_user(username="li")).get(path).status_code == 403


def test_rep_sees_no_admin_navigation(make_user, client_for):
    page = client_for(make_user(username="li")).get("/").content.decode()
    assert "/admin/users/" not in page
    assert "/leads/" in page


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_create_user_shows_the_password_once(admin_user, org, client_for):
    client = client_for(admin_user)
    response = client.post(
        "/admin/users/new/",
        {
            "username": "wang",
            "display_name": "王五",
            "email": "WANG@Example.cn",
            "mobile": "",
            "role": Role.objects.get(code="sales_rep").pk,
            "department": "",
            "team": org.east.pk,
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="wang")
    assert (user.email, user.department, user.team) == (
        "wang@example.cn",
        org.east_region,
        org.east,
    )
    password = response.context["password"]
    assert user.check_password(password)
    assert password in response.content.decode()


def test_user_form_shows_the_service_error_beside_the_field(admin_user, org, client_for):
    response = client_for(admin_user).post(
        "/admin/users/new/",
        {
            "username": "x y",
            "display_name": "X",
            "role": Role.objects.get(code="sales_rep").pk,
        },
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not User.objects.filter(display_name="X").exists()


def test_org_page_adds_departments_and_teams(admin_user, org, client_for):
    client = client_for(admin_user)
    client.post("/admin/org/", {"add_department": "1", "name": "华南大区", "parent": org.sales.pk})
    south = Department.objects.get(name="华南大区")
    assert south.path == f"{org.sales.path}{south.pk}/"
    client.post("/admin/org/", {"add_team": "1", "name": "华南一组", "department": south.pk})
    assert Team.objects.get(name="华南一组").department == south
    response = client.post(f"/admin/org/departments/{org.sales.pk}/", {"delete": "1"}, follow=True)
    assert Department.objects.filter(pk=org.sales.pk).exists()
    assert response.status_code == 200


def test_role_editor_changes_scope(admin_user, client_for):
    rep = Role.objects.get(code="sales_rep")
    client_for(admin_user).post(
        f"/admin/roles/{rep.pk}/",
        {
            "code": "sales_rep",
            "name": "销售代表",
            "name_en": "Sales rep",
            "scope": "team",
            "permissions": ["data.export"],
        },
    )
    rep.refresh_from_db()
    assert (rep.scope, rep.permissions) == ("team", ["data.export"])


def test_holiday_page_adds_a_company_day(admin_user, client_for):
    client = client_for(admin_user)
    client.post("/admin/holidays/", {"date": "2027-02-20", "kind": "working_day", "name": "调休"})
    assert CompanyHoliday.objects.get().kind == "working_day"
    page = client.get("/admin/holidays/?year=2027").content.decode()
    assert "调休" in page


def test_robot_page_refuses_a_bad_url_and_keeps_the_secret_hidden(admin_user, org, client_for):
    client = client_for(admin_user)
    response = client.post(
        "/admin/robots/",
        {
            "team": org.east.pk,
            "platform": "dingtalk",
            "name": "钉钉群",
            "webhook_url": "ftp://x",
            "enabled": "on",
        },
    )
    assert "webhook_url" in response.context["form"].errors
    client.post(
        "/admin/robots/",
        {
            "team": org.east.pk,
            "platform": "dingtalk",
            "name": "钉钉群",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "secret": "SECxyz",
            "enabled": "on",
        },
    )
    robot = Robot.objects.get()
    assert robot.secret == "SECxyz"
    page = client.get(f"/admin/robots/{robot.pk}/").content.decode()
    assert "SECxyz" not in page


def test_audit_page_filters_and_exports(admin_user, client_for):
    client = client_for(admin_user)
    client.post("/admin/holidays/", {"date": "2027-02-20", "kind": "day_off", "name": "x"})
    page = client.get("/admin/audit/?action=holiday.").content.decode()
    assert "holiday.set" in page
    response = client.get("/admin/audit/?action=holiday.&export=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("时间,用户,IP 地址,操作")  # Chinese headers (#25)
    assert len(lines) == 2
    assert AuditLog.objects.filter(action="export", object_type="audit").exists()


def test_user_list_exports_for_an_admin(admin_user, client_for):
    response = client_for(admin_user).get("/admin/users/?export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_every_interface_string_has_a_chinese_translation():
    # The catalogue is complete and nothing in it is skipped as fuzzy.
    import re
    from pathlib import Path

    import leadflow

    po = (Path(leadflow.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    assert "#, fuzzy" not in po
    untranslated = []
    for entry in po.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'"(.*)"', entry.split("msgid ", 1)[1].split("msgstr", 1)[0]))
        msgstr = "".join(re.findall(r'"(.*)"', entry.split("msgstr", 1)[1]))
        if not msgstr:
            untranslated.append(msgid)
    assert untranslated == []

"""Pickers, not free text (#25 item 4): region and industry are chosen, and what is
stored stays the plain text the API and imports use too."""

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from leadflow.core import display
from leadflow.core.company_settings import settings_update
from leadflow.core.pickers import GBT_4754_SECTIONS, REGION_TABLE
from leadflow.leads.forms import LeadForm

pytestmark = pytest.mark.django_db


def test_the_bundled_region_table_is_gbt_2260():
    table = json.loads(Path(finders.find(REGION_TABLE)).read_text())
    provinces = {item["name"]: item for item in table}
    assert len(provinces) == 31  # the mainland's provinces, regions and municipalities
    jiangsu = provinces["江苏省"]
    assert jiangsu["code"] == "32"
    suzhou = next(city for city in jiangsu["children"] if city["name"] == "苏州市")
    assert suzhou["code"] == "3205"
    assert any(d["name"] == "吴中区" and d["code"] == "320506" for d in suzhou["children"])


def test_the_lead_form_picks_region_and_industry(admin_user, client_for):
    page = client_for(admin_user).get("/leads/new/").content.decode()
    assert 'data-region="/static/vendor/china-division/pca-code.json"' in page
    assert '<option value="信息传输、软件和信息技术服务业">' in page
    assert "pickers.js" in page


def test_the_industry_list_is_the_companys_and_keeps_an_older_value(admin_user):
    assert [value for value, _ in LeadForm().fields["industry"].widget.choices][1:] == list(
        GBT_4754_SECTIONS
    )
    settings_update(changes={"pickers.industries": "工业自动化\n医疗器械"}, by=admin_user)
    form = LeadForm(initial={"industry": "汽车"})
    assert [value for value, _ in form.fields["industry"].widget.choices] == [
        "",
        "工业自动化",
        "医疗器械",
        "汽车",
    ]


def test_money_phones_and_rates_read_as_people_write_them(admin_user):
    # #25 item 5 — ¥1,500,000.00 or 150.00 万 (a setting), 138 0013 8000, 12.3 %
    assert display.money("1500000") == "¥1,500,000.00"
    assert display.money("-20.5") == "-¥20.50"
    assert display.money(None) == "—"
    settings_update(changes={"display.money_unit": "wan"}, by=admin_user)
    assert display.money("1500000") == "150.00 万"
    assert display.phone("+8613800138000") == "138 0013 8000"
    assert display.phone("+861012345678") == "+861012345678"  # a landline stays as stored
    assert display.percent(0.12345, ratio=True) == "12.3 %"

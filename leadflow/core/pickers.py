"""Pickers instead of free text (#25): the region as a province → city → district cascader
over the bundled GB/T 2260 table, the industry from a company list seeded with the GB/T
4754 门类, long lists (channels, campaigns, people) searchable as one types. What is
stored stays plain text, so the API, imports and older records need nothing new."""

from django import forms
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from .company_settings import define, get_setting

# GB/T 4754-2017 国民经济行业分类, its 门类 A–T.
GBT_4754_SECTIONS = [
    "农、林、牧、渔业",
    "采矿业",
    "制造业",
    "电力、热力、燃气及水生产和供应业",
    "建筑业",
    "批发和零售业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "金融业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "水利、环境和公共设施管理业",
    "居民服务、修理和其他服务业",
    "教育",
    "卫生和社会工作",
    "文化、体育和娱乐业",
    "公共管理、社会保障和社会组织",
    "国际组织",
]
INDUSTRIES = define(
    "pickers.industries",
    "\n".join(GBT_4754_SECTIONS),
    "text",
    _("Industries to pick from, one per line"),
    _("Display"),
    help=_("Seeded with the 20 sections of GB/T 4754; add the company's own."),
)
REGION_TABLE = "vendor/china-division/pca-code.json"


def industries() -> list[str]:
    return [line.strip() for line in get_setting(INDUSTRIES.key).splitlines() if line.strip()]


class RegionInput(forms.TextInput):
    """A text input that pickers.js turns into three selects (省 → 市 → 区); without
    JavaScript it stays a text box."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({"data-region": static(REGION_TABLE)})
        return context


def searchable(field: forms.Field) -> None:
    """A select that filters its options as one types (pickers.js)."""
    field.widget.attrs["data-search"] = "1"


def use_pickers(form: forms.Form, *, current_industry: str = "") -> None:
    """Put the pickers on a form's `region`, `industry` and long select fields."""
    if "region" in form.fields:
        form.fields["region"].widget = RegionInput(attrs=form.fields["region"].widget.attrs)
    if "industry" in form.fields:
        listed = industries()
        current = (
            form.data.get("industry") if form.is_bound else form.initial.get("industry")
        ) or current_industry
        choices = [("", "——"), *((name, name) for name in listed)]
        if current and current not in listed:
            choices.append((current, current))  # an older or imported value is kept
        form.fields["industry"].widget = forms.Select(choices=choices)
    for field in form.fields.values():
        if isinstance(field, forms.ChoiceField) and len(list(field.widget.choices)) > 8:
            searchable(field)  # a ModelChoiceField is a ChoiceField too

"""Standard liability clauses to start a contract from, and finance's right to record
receipts (MKT-5)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles

CLAUSES = [
    (
        "逾期付款违约金",
        "甲方逾期付款的，每逾期一日，应按逾期金额的万分之五向乙方支付违约金。",
    ),
    (
        "逾期交付违约金",
        "乙方逾期交付的，每逾期一日，应按合同总额的万分之五向甲方支付违约金，"
        "但违约金总额不超过合同总额的百分之五。",
    ),
    ("不可抗力", "因不可抗力不能履行合同的，受影响一方应及时通知对方，并在合理期限内提供证明。"),
    ("争议解决", "因本合同引起的争议，双方协商解决；协商不成的，提交乙方所在地人民法院诉讼解决。"),
]


def seed(apps, schema_editor):
    ClauseTemplate = apps.get_model("sales", "ClauseTemplate")
    for name, text in CLAUSES:
        ClauseTemplate.objects.get_or_create(name=name, defaults={"text": text})


def unseed(apps, schema_editor):
    apps.get_model("sales", "ClauseTemplate").objects.filter(
        name__in=[name for name, _ in CLAUSES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_contracts")]

    operations = [
        migrations.RunPython(seed, unseed),
        grant_to_roles({"finance": ["sales.receipts"], "legal": ["sales.contracts_all"]}),
    ]

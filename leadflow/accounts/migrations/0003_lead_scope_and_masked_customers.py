"""A role's sight of leads apart from its sight of customers, and customers' personal data
masked for roles that work with customers without owning them (SEC-1, SEC-2)."""

from django.db import migrations, models

# code: (lead scope, customers masked). Marketing screens and distributes every lead but
# needs no customer's phone; customer service and sales support see customers masked, and
# sales support sees the leads it verifies (its permission) and its own.
SEEDED = {
    "marketing": ("all", True),
    "customer_service": ("own", True),
    "sales_support": ("own", True),
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        role.lead_scope, role.customers_masked = SEEDED.get(role.code, (role.scope, False))
        role.save(update_fields=["lead_scope", "customers_masked"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_seed_roles")]
    operations = [
        migrations.AddField(
            model_name="role",
            name="lead_scope",
            field=models.CharField(
                choices=[
                    ("own", "Own records"),
                    ("team", "Own team"),
                    ("department", "Own department and below"),
                    ("all", "Everything"),
                ],
                default="own",
                max_length=12,
                verbose_name="lead data scope",
            ),
        ),
        migrations.AddField(
            model_name="role",
            name="customers_masked",
            field=models.BooleanField(
                default=False,
                verbose_name="sees customers' phones, emails and addresses masked",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]

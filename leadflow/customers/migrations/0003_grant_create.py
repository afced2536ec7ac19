"""Who enters customers by hand (CUS-1)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_profile_and_grade")]
    operations = [
        grant_to_roles(
            {
                "sales_rep": ["customers.create"],
                "sales_manager": ["customers.create"],
                "sales_support": ["customers.create"],
                "marketing": ["customers.create"],
            }
        )
    ]

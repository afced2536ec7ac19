"""Who claims leads from the public pool (LEAD-FUP-4)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("leads", "0017_public_pool")]
    operations = [grant_to_roles({"sales_rep": ["leads.claim"], "sales_manager": ["leads.claim"]})]

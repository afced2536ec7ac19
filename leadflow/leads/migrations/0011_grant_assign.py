"""Who assigns leads by hand and decides reassignment requests (LEAD-ASN-3, -6)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("leads", "0010_assignment")]
    operations = [
        grant_to_roles({"marketing": ["leads.assign"], "sales_manager": ["leads.assign"]})
    ]

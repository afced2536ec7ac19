"""Give the seeded roles their leads permissions (LEAD-CAP-2, LEAD-CLN-4)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles

GRANTS = {
    "marketing": ["leads.create", "leads.import", "leads.configure"],
    "sales_rep": ["leads.create"],
    "sales_manager": ["leads.create", "leads.import"],
    "sales_support": ["leads.create", "leads.verify", "leads.import"],
}


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_seed_channels_and_rules"), ("accounts", "0002_seed_roles")]
    operations = [grant_to_roles(GRANTS)]

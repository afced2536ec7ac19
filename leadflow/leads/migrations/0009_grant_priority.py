"""Who may set a lead's priority against its grade (LEAD-SCR-3)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_seed_score_rules")]
    operations = [
        grant_to_roles({"marketing": ["leads.priority"], "sales_manager": ["leads.priority"]})
    ]

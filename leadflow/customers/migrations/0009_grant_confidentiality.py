"""Who approves access to another rep's customer and sees shared contacts whole (SEC-3, -4)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_access_requests")]
    operations = [
        grant_to_roles({"sales_manager": ["customers.grant", "customers.reveal"]})
    ]

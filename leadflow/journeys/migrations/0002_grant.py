"""Marketing and management build journeys (AUT-1)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("journeys", "0001_journeys_enrollments_runs"), ("accounts", "0002_seed_roles")]

    operations = [
        grant_to_roles({"marketing": ["journeys.manage"], "management": ["journeys.manage"]})
    ]

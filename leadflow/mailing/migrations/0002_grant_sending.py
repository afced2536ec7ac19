"""Marketing and management send email to lists (AUT-3)."""

from django.db import migrations

from leadflow.accounts.grants import grant_to_roles


class Migration(migrations.Migration):
    dependencies = [("mailing", "0001_email_templates_sends_messages"), ("accounts", "0002_seed_roles")]

    operations = [grant_to_roles({"marketing": ["mailing.send"], "management": ["mailing.send"]})]

"""Follow-up deadlines get a narrow table of their own for the sweep (LEAD-FUP-3): the
deadlines of accepted leads are copied there with how far their lapse had gone, then the
lead's own marker column and its index go."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_deadlines(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    FollowUpDue = apps.get_model("leads", "FollowUpDue")
    leads = Lead.objects.filter(
        status="accepted", next_due_at__isnull=False, owner__isnull=False
    ).values_list("id", "owner_id", "next_due_at", "first_contact_at", "overdue_stage")
    batch = []
    for lead_id, owner_id, due_at, first_contact_at, stage in leads.iterator(chunk_size=5000):
        batch.append(
            FollowUpDue(
                lead_id=lead_id,
                owner_id=owner_id,
                due_at=due_at,
                first_contact=first_contact_at is None,
                overdue_stage=stage,
            )
        )
        if len(batch) == 5000:
            FollowUpDue.objects.bulk_create(batch)
            batch.clear()
    FollowUpDue.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    for due in apps.get_model("leads", "FollowUpDue").objects.filter(overdue_stage__gt=0):
        Lead.objects.filter(pk=due.lead_id).update(overdue_stage=due.overdue_stage)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0019_conversion"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FollowUpDue",
            fields=[
                (
                    "lead",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="leads.lead",
                    ),
                ),
                ("due_at", models.DateTimeField()),
                ("first_contact", models.BooleanField()),
                ("overdue_stage", models.PositiveSmallIntegerField(default=0)),
                (
                    "owner",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["overdue_stage", "due_at"], name="followup_due_sweep")
                ],
            },
        ),
        migrations.RunPython(copy_deadlines, copy_back),
        migrations.RemoveIndex(model_name="lead", name="lead_followup_due"),
        migrations.RemoveField(model_name="lead", name="overdue_stage"),
    ]

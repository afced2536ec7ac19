"""One lead per deal as a partial unique index: the plain UNIQUE of a one-to-one field
indexed every lead, each of a million imported ones with its NULL deal too.

SQLite alters the column by rebuilding the lead table, which drops the table's
triggers: the funnel tally's triggers (0023) are made again after it."""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

tally = import_module("leadflow.leads.migrations.0023_funnel_tally")
SQLITE_TRIGGERS = [s for s in tally.SQLITE if s.lstrip().startswith("CREATE TRIGGER")]


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in tally.SQLITE_REVERSE + SQLITE_TRIGGERS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0023_funnel_tally"),
        ("sales", "0001_initial"),
    ]

    operations = [
        # Undone last: the rebuild back to a one-to-one field drops the triggers again.
        migrations.RunPython(migrations.RunPython.noop, recreate_sqlite_triggers),
        migrations.AlterField(
            model_name="lead",
            name="deal",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="sales.deal",
            ),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deal__isnull", False)),
                fields=("deal",),
                name="lead_deal_once",
            ),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]

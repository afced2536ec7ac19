"""The funnel tally (ANA-2) and the triggers that keep it: every change of a live lead's
furthest stage, owner, channel, acquisition month or merger adds -1 where the lead stood
and +1 where it stands, inside the changing transaction; deleting a worked lead adds -1.
Existing leads are counted once, as already folded rows.

No INSERT trigger: every lead is born unworked (capture and import write no furthest
stage; acceptance sets it, by UPDATE), and on SQLite an insert trigger, though its WHEN is
false, made the million-row import three times slower. A merged lead is one with
`merged_into` (it always comes with status merged): the importer's updates of survivors
set status but never `merged_into`, so they do not fire the trigger at all."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


COUNTED = "{row}.furthest_stage <> '' AND {row}.merged_into_id IS NULL"
KEYS = "furthest_stage, merged_into_id, owner_id, channel_id, acquired_at"
COLUMNS = "month, channel_id, owner_id, furthest_stage, leads, fresh"

SQLITE_MONTH = "substr({row}.acquired_at, 1, 7) || '-01'"  # stored as UTC 'YYYY-MM-DD hh:mm:ss'
SQLITE_CHANGED = (
    "OLD.furthest_stage IS NOT NEW.furthest_stage"
    " OR (OLD.merged_into_id IS NULL) IS NOT (NEW.merged_into_id IS NULL)"
    " OR OLD.owner_id IS NOT NEW.owner_id OR OLD.channel_id IS NOT NEW.channel_id"
    " OR substr(OLD.acquired_at, 1, 7) IS NOT substr(NEW.acquired_at, 1, 7)"
)


def _sqlite_row(row: str, change: int) -> str:
    month = SQLITE_MONTH.format(row=row)
    return (
        f"INSERT INTO leads_funneltally ({COLUMNS}) SELECT {month}, {row}.channel_id,"
        f" {row}.owner_id, {row}.furthest_stage, {change}, 1 WHERE {COUNTED.format(row=row)};"
    )


SQLITE = [
    f"""CREATE TRIGGER leads_funnel_tally_update AFTER UPDATE OF {KEYS} ON leads_lead
        WHEN ({COUNTED.format(row="OLD")} OR {COUNTED.format(row="NEW")}) AND ({SQLITE_CHANGED})
        BEGIN {_sqlite_row("OLD", -1)} {_sqlite_row("NEW", 1)} END""",
    f"""CREATE TRIGGER leads_funnel_tally_delete AFTER DELETE ON leads_lead
        WHEN {COUNTED.format(row="OLD")}
        BEGIN {_sqlite_row("OLD", -1)} END""",
    f"""INSERT INTO leads_funneltally ({COLUMNS})
        SELECT {SQLITE_MONTH.format(row="lead")}, channel_id, owner_id, furthest_stage, COUNT(*), 0
        FROM leads_lead lead WHERE {COUNTED.format(row="lead")} GROUP BY 1, 2, 3, 4""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS leads_funnel_tally_update",
    "DROP TRIGGER IF EXISTS leads_funnel_tally_delete",
]

POSTGRES_MONTH = "date_trunc('month', {row}.acquired_at AT TIME ZONE 'UTC')::date"
POSTGRES_CHANGED = (
    "OLD.furthest_stage IS DISTINCT FROM NEW.furthest_stage"
    " OR (OLD.merged_into_id IS NULL) IS DISTINCT FROM (NEW.merged_into_id IS NULL)"
    " OR OLD.owner_id IS DISTINCT FROM NEW.owner_id"
    " OR OLD.channel_id IS DISTINCT FROM NEW.channel_id"
    f" OR {POSTGRES_MONTH.format(row='OLD')} IS DISTINCT FROM {POSTGRES_MONTH.format(row='NEW')}"
)


def _postgres_row(row: str, change: int) -> str:
    return (
        f"IF {COUNTED.format(row=row)} THEN INSERT INTO leads_funneltally ({COLUMNS}) VALUES"
        f" ({POSTGRES_MONTH.format(row=row)}, {row}.channel_id, {row}.owner_id,"
        f" {row}.furthest_stage, {change}, true); END IF;"
    )


POSTGRES = [
    f"""CREATE FUNCTION leads_funnel_tally() RETURNS trigger AS $$
        BEGIN
          {_postgres_row("OLD", -1)}
          IF TG_OP = 'UPDATE' THEN {_postgres_row("NEW", 1)} END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER leads_funnel_tally_update AFTER UPDATE OF {KEYS} ON leads_lead
        FOR EACH ROW
        WHEN (({COUNTED.format(row="OLD")} OR {COUNTED.format(row="NEW")}) AND ({POSTGRES_CHANGED}))
        EXECUTE FUNCTION leads_funnel_tally()""",
    f"""CREATE TRIGGER leads_funnel_tally_delete AFTER DELETE ON leads_lead FOR EACH ROW
        WHEN ({COUNTED.format(row="OLD")}) EXECUTE FUNCTION leads_funnel_tally()""",
    f"""INSERT INTO leads_funneltally ({COLUMNS})
        SELECT {POSTGRES_MONTH.format(row="lead")}, channel_id, owner_id, furthest_stage,
               COUNT(*), false
        FROM leads_lead lead WHERE {COUNTED.format(row="lead")} GROUP BY 1, 2, 3, 4""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS leads_funnel_tally_update ON leads_lead",
    "DROP TRIGGER IF EXISTS leads_funnel_tally_delete ON leads_lead",
    "DROP FUNCTION IF EXISTS leads_funnel_tally()",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_REVERSE if postgres else SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0022_funnel_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FunnelTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('furthest_stage', models.CharField(choices=[('initial', 'Initial contact'), ('needs', 'Needs clear'), ('comparing', 'Comparing offers'), ('negotiating', 'Negotiating'), ('won', 'Won'), ('invalid', 'Invalid'), ('paused', 'Paused'), ('lost', 'Lost')], max_length=12)),
                ('leads', models.IntegerField()),
                ('fresh', models.BooleanField(default=True)),
                ('channel', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='leads.channel')),
                ('owner', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['month'], name='funnel_tally_month'), models.Index(condition=models.Q(('fresh', True)), fields=['month'], name='funnel_tally_fresh')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

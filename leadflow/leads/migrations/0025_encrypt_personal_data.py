"""Leads' phones, emails and addresses encrypted at rest, with keyed hashes to find and
deduplicate them, and the personal values in merge snapshots encrypted too (SEC-2).
Reversible: the way back decrypts. No value is lost either way.

SQLite alters these columns by rebuilding the lead table, which drops the table's
triggers: the funnel tally's triggers (0023) are made again after it, as in 0024."""

from importlib import import_module

from django.db import migrations, models

import leadflow.core.crypto
from leadflow.core.crypto import decrypt, encrypt, lookup_hash
from leadflow.core.personal import seal, unseal

recreate_sqlite_triggers = import_module(
    "leadflow.leads.migrations.0024_deal_partial_unique"
).recreate_sqlite_triggers

PERSONAL = ("mobile", "landline", "email", "address")
HASHED = ("mobile", "landline", "email")
BATCH = 2_000


def _rows(cursor, sql: str):
    """The rows of `sql` (which selects id first, ordered by id), a batch at a time."""
    last = 0
    while True:
        cursor.execute(sql, [last, BATCH])
        batch = cursor.fetchall()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def encrypt_columns(apps, schema_editor):
    table = apps.get_model("leads", "Lead")._meta.db_table
    columns = ", ".join(PERSONAL)
    select = f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
    sets = ", ".join(f"{name} = %s" for name in (*PERSONAL, *(f"{n}_hash" for n in HASHED)))
    update = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        for batch in _rows(reader, select):
            writer.executemany(
                update,
                [
                    [
                        *(encrypt(value or "") for value in values),
                        *(lookup_hash(value or "") for value in values[:3]),
                        lead_id,
                    ]
                    for lead_id, *values in batch
                ],
            )
    _each_merge(apps, seal)


def decrypt_columns(apps, schema_editor):
    table = apps.get_model("leads", "Lead")._meta.db_table
    columns = ", ".join(PERSONAL)
    select = f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
    update = f"UPDATE {table} SET {', '.join(f'{n} = %s' for n in PERSONAL)} WHERE id = %s"  # noqa: S608
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        for batch in _rows(reader, select):
            writer.executemany(
                update,
                [[*(decrypt(value or "") for value in values), lead_id] for lead_id, *values in batch],
            )
    _each_merge(apps, unseal)


def _each_merge(apps, change):
    """Every merge snapshot's personal values through `change` (seal or unseal)."""
    LeadMerge = apps.get_model("leads", "LeadMerge")
    last = 0
    while batch := list(LeadMerge.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        for merge in batch:
            merge.survivor_before = change(merge.survivor_before)
            merge.survivor_after = change(merge.survivor_after)
        LeadMerge.objects.bulk_update(batch, ["survivor_before", "survivor_after"])
        last = batch[-1].pk


def _encrypted(name: str):
    return migrations.AlterField(
        model_name="lead",
        name=name,
        field=leadflow.core.crypto.EncryptedTextField(blank=True, verbose_name=name),
    )


def _hash(name: str):
    return migrations.AddField(
        model_name="lead",
        name=f"{name}_hash",
        field=leadflow.core.crypto.LookupHashField(
            blank=True, db_index=False, editable=False, max_length=64, of=name, default=""
        ),
        preserve_default=False,
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0024_deal_partial_unique")]

    operations = [
        # Undone last: the rebuilds back drop the triggers again.
        migrations.RunPython(migrations.RunPython.noop, recreate_sqlite_triggers),
        migrations.RemoveIndex(model_name="lead", name="lead_mobile"),
        migrations.RemoveIndex(model_name="lead", name="lead_email"),
        *(_encrypted(name) for name in PERSONAL),
        *(_hash(name) for name in HASHED),
        migrations.RunPython(encrypt_columns, decrypt_columns),
        migrations.AddIndex(
            model_name="lead", index=models.Index(fields=["mobile_hash"], name="lead_mobile")
        ),
        migrations.AddIndex(
            model_name="lead", index=models.Index(fields=["email_hash"], name="lead_email")
        ),
        migrations.AddIndex(
            model_name="lead", index=models.Index(fields=["landline_hash"], name="lead_landline")
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]

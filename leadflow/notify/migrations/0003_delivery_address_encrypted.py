"""Delivery addresses are encrypted at rest (SEC-2): a delivery may now go to a customer's
contact. The column stays text; the addresses already there are encrypted in place."""

from django.db import migrations

import leadflow.core.crypto


def seal_addresses(apps, schema_editor):
    from leadflow.core.crypto import TOKEN_PREFIX, encrypt

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, address FROM notify_delivery WHERE address <> ''")
        rows = [(encrypt(address), pk) for pk, address in cursor.fetchall()
                if not address.startswith(TOKEN_PREFIX)]
        cursor.executemany("UPDATE notify_delivery SET address = %s WHERE id = %s", rows)


def open_addresses(apps, schema_editor):
    from leadflow.core.crypto import decrypt

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, address FROM notify_delivery WHERE address <> ''")
        rows = [(decrypt(address)[:254], pk) for pk, address in cursor.fetchall()]
        cursor.executemany("UPDATE notify_delivery SET address = %s WHERE id = %s", rows)


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_delivery_lease_and_message_id")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="address",
            field=leadflow.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(seal_addresses, open_addresses),
    ]

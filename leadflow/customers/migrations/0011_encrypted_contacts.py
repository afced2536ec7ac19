"""Customer phones, emails and addresses encrypted at rest, with keyed hashes to find them
(SEC-2). The columns become plain text first, the rows are encrypted in place, then the
fields become encrypted ones (no schema change in that last step)."""

from django.db import migrations, models

import leadflow.core.crypto
from leadflow.core.crypto import decrypt, encrypt, lookup_hash

CONTACT_COLUMNS = ("mobile", "landline", "email")


def _rewrite(schema_editor, table: str, columns: tuple[str, ...], change, hashes: bool) -> None:
    connection = schema_editor.connection
    quoted = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quoted} FROM {table}")  # noqa: S608 - our table
        rows = cursor.fetchall()
        assignments = ", ".join(f"{column} = %s" for column in columns)
        if hashes:
            assignments += ", mobile_hash = %s, email_hash = %s"
        for row_id, *values in rows:
            plain = dict(zip(columns, values, strict=True))
            params = [change(value or "") for value in values]
            if hashes:
                params += [lookup_hash(plain["mobile"] or ""), lookup_hash(plain["email"] or "")]
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                [*params, row_id],
            )


def encrypt_rows(apps, schema_editor):
    _rewrite(schema_editor, "customers_contact", CONTACT_COLUMNS, encrypt, hashes=True)
    _rewrite(schema_editor, "customers_customer", ("address",), encrypt, hashes=False)


def decrypt_rows(apps, schema_editor):
    _rewrite(schema_editor, "customers_contact", CONTACT_COLUMNS, decrypt, hashes=False)
    _rewrite(schema_editor, "customers_customer", ("address",), decrypt, hashes=False)


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_data_review")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="email_hash",
            field=leadflow.core.crypto.LookupHashField(
                blank=True, db_index=True, editable=False, max_length=64, of="email"
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="mobile_hash",
            field=leadflow.core.crypto.LookupHashField(
                blank=True, db_index=True, editable=False, max_length=64, of="mobile"
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="mobile",
            field=models.TextField(blank=True, verbose_name="mobile"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="landline",
            field=models.TextField(blank=True, verbose_name="landline"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="email",
            field=models.TextField(blank=True, verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="address",
            field=models.TextField(blank=True, verbose_name="address"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField(
            model_name="contact",
            name="mobile",
            field=leadflow.core.crypto.EncryptedTextField(blank=True, verbose_name="mobile"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="landline",
            field=leadflow.core.crypto.EncryptedTextField(blank=True, verbose_name="landline"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="email",
            field=leadflow.core.crypto.EncryptedTextField(blank=True, verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="address",
            field=leadflow.core.crypto.EncryptedTextField(blank=True, verbose_name="address"),
        ),
    ]

"""Personal values in customers' event history (an address's old and new values)
encrypted at rest like the columns they came from (SEC-2). Reversible."""

from django.db import migrations

from leadflow.core.personal import seal, unseal


def _each_event(apps, change):
    CustomerEvent = apps.get_model("customers", "CustomerEvent")
    last = 0
    while batch := list(CustomerEvent.objects.filter(pk__gt=last).order_by("pk")[:2_000]):
        for event in batch:
            event.data = change(event.data)
        CustomerEvent.objects.bulk_update(batch, ["data"])
        last = batch[-1].pk


def forwards(apps, schema_editor):
    _each_event(apps, seal)


def backwards(apps, schema_editor):
    _each_event(apps, unseal)


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_customer_import")]
    operations = [migrations.RunPython(forwards, backwards)]

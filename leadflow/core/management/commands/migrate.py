"""`leadflow migrate`: Django's migrate, after making what an embedded installation keeps
beside its database (the var folder and its keys, leadflow.core.installation)."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from leadflow.core.installation import installation_prepare


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        for file_name in installation_prepare():
            if options["verbosity"] >= 1:
                self.stdout.write(f"Made the installation key {file_name}: back it up.")
        return super().handle(*args, **options)

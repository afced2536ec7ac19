from django.core.management.base import BaseCommand

from leadflow.accounts.demo import demo_company_create
from leadflow.analytics.demo import demo_performance_create
from leadflow.journeys.demo import demo_journeys_create
from leadflow.leads.demo import demo_lead_history_create, demo_leads_create
from leadflow.marketing.demo import demo_marketing_create
from leadflow.sales.demo import demo_sales_create
from leadflow.service.demo import demo_service_create


class Command(BaseCommand):
    help = "Seed a demo company on an empty database and print its passwords once."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="create the demo company")

    def handle(self, *, demo: bool, **options):
        # The rules' defaults are seeded by data migrations; only the demo is made here.
        if not demo:
            return
        passwords = demo_company_create()
        if not passwords:
            return
        demo_leads_create()
        demo_lead_history_create()
        demo_marketing_create()
        demo_sales_create()
        demo_performance_create()
        demo_service_create()
        demo_journeys_create()
        width = max(len(name) for name in passwords)
        self.stdout.write(
            self.style.WARNING(
                "\nDemo company created. These passwords are shown only now; keep them:\n"
            )
        )
        for username, password in passwords.items():
            self.stdout.write(f"  {username.ljust(width)}  {password}")
        self.stdout.write("\n(Change one later with: leadflow changepassword USERNAME)\n")

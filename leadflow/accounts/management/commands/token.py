from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.models import ApiToken, User
from leadflow.accounts.tokens import token_create


class Command(BaseCommand):
    help = "Personal API tokens: `token create USERNAME [--name N]` prints a new one; `token list`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list"])
        parser.add_argument("username", nargs="?")
        parser.add_argument("--name", default="command line")

    def handle(self, *, action: str, username: str | None, name: str, **options):
        if action == "list":
            for token in ApiToken.objects.select_related("user"):
                state = "active" if token.is_active else "revoked/expired"
                self.stdout.write(f"{token.user.username}\t{token.prefix}…\t{token.name}\t{state}")
            return
        if not username:
            raise CommandError("usage: leadflow token create USERNAME")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is deactivated")
        _, raw = token_create(user=user, name=name)
        self.stdout.write(raw)

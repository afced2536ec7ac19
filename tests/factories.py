import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from leadflow.accounts.models import Role, User

PASSWORD = "correct-horse-battery"
_hash: dict[str, str] = {}


def password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    if "value" not in _hash:
        _hash["value"] = make_password(PASSWORD)
    return _hash["value"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    class Params:
        role_code = "sales_rep"
        accepted = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    role = factory.LazyAttribute(lambda o: Role.objects.get(code=o.role_code))
    team = None
    password = factory.LazyFunction(password_hash)
    confidentiality_version = factory.LazyAttribute(lambda o: "2026-01" if o.accepted else "")
    confidentiality_accepted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.accepted else None
    )

    @factory.lazy_attribute
    def department(self):
        return self.team.department if self.team is not None else None

"""The mailing fixtures (a marketer, leads that agreed to marketing) serve journeys too."""

from tests.mailing.conftest import marketer, template  # noqa: F401 - fixtures shared
from tests.sales.test_contracts import customer, people  # noqa: F401 - fixtures shared

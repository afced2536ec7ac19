"""The lead fixtures, for pages that show leads."""

from tests.leads.conftest import capture, rep  # noqa: F401 - fixtures

"""The modules that lean on Django's internals say which Django they were checked with;
a Django upgrade (minor or major) fails here until each is re-read and its mark raised."""

import django
import pytest

from leadflow.core import inserts
from leadflow.core.sqlite import base as sqlite_base
from leadflow.leads.bulk import indexes
from leadflow.leads.bulk import sql as bulk_sql


@pytest.mark.parametrize(
    "module", [inserts, sqlite_base, indexes, bulk_sql], ids=lambda m: m.__name__
)
def test_code_on_django_internals_was_checked_with_this_django(module):
    assert module.CHECKED_WITH_DJANGO == django.VERSION[:2], (
        f"Django is {django.get_version()}: re-read the internals {module.__name__} names "
        "beside CHECKED_WITH_DJANGO, then raise it"
    )

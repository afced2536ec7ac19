"""Per-process configuration cache: fast reads, bounded staleness, fresh after a change."""

import pytest
from django.test import override_settings

from leadflow.core.company_settings import get_setting, settings_update
from leadflow.core.models import Setting

pytestmark = pytest.mark.django_db
KEY = "security.agreement_version"


@override_settings(LEADFLOW_CONFIG_CACHE_SECONDS=2)
def test_another_process_change_is_seen_within_the_configured_seconds(config_clock):
    # SPEC: SEC-1 — a new agreement version is enforced within seconds on every process.
    before = get_setting(KEY)
    Setting.objects.update_or_create(key=KEY, defaults={"value": "2099-01"})  # "elsewhere"
    assert get_setting(KEY) == before  # this process's copy, still recent
    config_clock[0] += 2.5
    assert get_setting(KEY) == "2099-01"


@override_settings(LEADFLOW_CONFIG_CACHE_SECONDS=2)
def test_a_change_made_here_is_seen_here_at_once(
    config_clock, admin_user, django_capture_on_commit_callbacks
):
    get_setting(KEY)
    with django_capture_on_commit_callbacks(execute=True):
        settings_update(changes={KEY: "2099-02"}, by=admin_user)
    assert get_setting(KEY) == "2099-02"

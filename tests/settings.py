"""Test settings: the real settings plus a small owned-object app that exercises the
platform's data scope through a UI page, an API endpoint and an export."""

from leadflow.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scoped_app"]  # noqa: F405
ROOT_URLCONF = "tests.urls"
LEADFLOW_EMAIL_ENABLED = True
EMAIL_PORT = 1  # each test that sends mail points this at its own SMTP server
SITE_URL = "http://testserver"
LEADFLOW_CONFIG_CACHE_SECONDS = 0  # every test reads what it just wrote; see test_config_cache
# Fixed keys: the suite needs no var folder and never writes the installation's own keys
# (leadflow.core.installation keeps a key the settings hold).
SECRET_KEY = "leadflow-tests-only-not-a-secret"  # noqa: S105
DATA_KEYS = ["dGVzdHMtb25seS1kYXRhLWtleS0zMi1ieXRlcy0hISE="]
LOOKUP_KEY = "leadflow-tests-only-lookup-key"
STATIC_ROOT = BASE_DIR / "leadflow" / "web" / "static"  # noqa: F405 - exists in every checkout

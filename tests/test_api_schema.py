"""The API from the outside (#7): schemathesis generates requests from
/api/v1/openapi.json for every operation; no answer may be a server error and every answer
must match the schema it documents. In-process (WSGI), in the test's database."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from leadflow.wsgi import application

# Every operation, tokens and settings included: each generated request runs in a
# savepoint rolled back after it, so a request that revokes the caller's own token does
# not leave the rest of the run unsigned.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_connection():
    """Like Django's test client: the request's end must not close the test's connection."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(make_user, keep_connection):
    """Headers for an administrator, who may call every operation."""
    from leadflow.accounts.tokens import token_create

    admin = make_user("admin", username="fuzz", is_superuser=True)
    _, raw = token_create(user=admin, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_server_error_and_every_answer_matches_the_schema(case, bearer):
    # SPEC: #7 — schemathesis against /api/v1/openapi.json: no 5xx, responses match.
    # Each generated request in its own savepoint, rolled back after: a statement
    # PostgreSQL refused (answered 422) must not poison the next request's queries, as it
    # cannot in production, where every request has its own transaction.
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(
            headers=bearer, checks=(not_a_server_error, response_schema_conformance)
        )
    finally:
        transaction.savepoint_rollback(savepoint)

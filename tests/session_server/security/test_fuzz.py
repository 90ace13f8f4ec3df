"""Fuzzing the HTTP API from its own OpenAPI schema: no input may make the server fail.

Schemathesis reads ``/openapi.json`` of a running server and generates requests for
every operation (boundary values from the schema, then random ones), sent with a
clinician's bearer token. Any 5xx answer fails. Each generated case is sent a second
time with the ids of a real client and session of that clinician, so the handlers
behind the existence checks are fuzzed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import tests.conftest as conftest
from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.app import create_app
from session_server.bootstrap import ensure_account

MAX_EXAMPLES = 12  # random cases per operation, beyond the schema's boundary cases
USERNAME = "fuzz-clinician"
PASSWORD = "fuzz clinician password"


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    client_id: str
    session_id: str

    def fresh_token(self) -> str:
        creds = {"username": USERNAME, "password": PASSWORD}
        r = httpx.post(f"{self.url}/v1/auth/token", json=creds, timeout=30)
        r.raise_for_status()
        token: str = r.json()["access_token"]
        return token


@pytest.fixture(scope="module")
def target(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[Target]:
    config = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), port=conftest._free_port())
    with conftest.serve(config, scheduler) as url:
        ensure_account(config, USERNAME, "clinician", PASSWORD)
        token = Target(url, "", "", "").fresh_token()
        auth = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=auth, timeout=30) as http:
            client = http.post("/v1/clients", json={"label": "Fuzz Client"})
            client.raise_for_status()
            session = http.post("/v1/sessions", json={"client_id": client.json()["id"]})
            session.raise_for_status()
        yield Target(url, token, client.json()["id"], session.json()["id"])


# The schema is the application's own, loaded when the tests are collected (one test per
# operation); ``test_the_server_serves_the_fuzzed_schema`` checks that the running server
# publishes the same. (Schemathesis 4.32.5's lazy ``from_fixture`` loader fails under
# pytest 9.2: it sets ``Function._nodeid``, which pytest 9.2 no longer has.)
OPENAPI = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_the_server_serves_the_fuzzed_schema(target: Target) -> None:
    served = schemathesis.openapi.from_url(f"{target.url}/openapi.json", timeout=30)
    assert served.raw_schema == OPENAPI
    operations = [op.ok().label for op in served.get_all_operations()]
    assert len(operations) >= 20, operations


def _send(case: schemathesis.Case, target: Target) -> None:
    # Signing out revokes the token it is sent with: give it one of its own.
    token = target.fresh_token() if case.operation.path == "/v1/auth/logout" else target.token
    response = case.call(
        base_url=target.url, headers={"authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code < 500, (
        f"{case.operation.label} answered {response.status_code}: {response.text[:300]}\n"
        f"reproduce with: {case.as_curl_command()}"
    )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_makes_the_server_fail(case: schemathesis.Case, target: Target) -> None:
    _send(case, target)
    real = {"session_id": target.session_id, "client_id": target.client_id}
    params: dict[str, Any] = case.path_parameters or {}
    body = case.body if isinstance(case.body, dict) else None
    if params.keys() & real.keys() or (body is not None and "client_id" in body):
        case.path_parameters = {k: real.get(k, v) for k, v in params.items()}
        if body is not None and "client_id" in body:
            case.body = {**body, "client_id": target.client_id}
        _send(case, target)

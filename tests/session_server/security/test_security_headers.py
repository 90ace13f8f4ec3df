"""Security headers on every response, a request id, and no cross-origin access."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.session_server.helpers import auth

EVIL = "http://evil.example"


def check_headers(r: httpx.Response, api: bool) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("object-src") == ["'none'"], csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("referrer-policy") == "no-referrer"
    assert re.fullmatch(r"[A-Za-z0-9-]{8,64}", r.headers.get("x-request-id", ""))
    if api:
        assert r.headers.get("cache-control") == "no-store"
    assert "strict-transport-security" not in r.headers, "no HSTS over plain HTTP"


@pytest.mark.parametrize(
    ("method", "path", "signed_in", "status"),
    [
        ("GET", "/v1/sessions", True, 200),
        ("GET", "/v1/clients", True, 200),
        ("GET", "/v1/auth/me", True, 200),
        ("GET", "/v1/auth/me", False, 401),
        ("GET", "/v1/sessions/0123456789abcdef/transcript", True, 404),
        ("GET", "/v1/no-such-route", True, 404),
        ("POST", "/v1/auth/token", False, 422),
        ("GET", "/healthz", False, 200),
    ],
)
def test_every_response_carries_the_security_headers(
    server: str, method: str, path: str, signed_in: bool, status: int
) -> None:
    headers = auth(server) if signed_in else {}
    r = httpx.request(method, f"{server}{path}", headers=headers, json=None, timeout=30)
    assert r.status_code == status, r.text
    check_headers(r, api=path.startswith("/v1/"))


def test_request_ids_are_fresh_or_echoed_when_well_formed(server: str) -> None:
    ids = {httpx.get(f"{server}/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3, "each request gets its own id"
    mine = "trace-1234-abcd"
    r = httpx.get(f"{server}/healthz", headers={"x-request-id": mine})
    assert r.headers["x-request-id"] == mine
    for bad in ("short", "has spaces in it", "<script>alert(1)</script>", "x" * 65):
        r = httpx.get(f"{server}/healthz", headers={"x-request-id": bad})
        assert r.headers["x-request-id"] != bad
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def test_cross_origin_requests_get_no_cors_grant(server: str) -> None:
    r = httpx.get(f"{server}/v1/sessions", headers={**auth(server), "origin": EVIL}, timeout=30)
    assert r.status_code == 200
    assert not [h for h in r.headers if h.lower().startswith("access-control-")], r.headers
    check_headers(r, api=True)


@pytest.mark.parametrize("path", ["/v1/sessions", "/v1/auth/login", "/v1/users", "/healthz"])
def test_cors_preflight_is_not_allowed(server: str, path: str) -> None:
    r = httpx.options(
        f"{server}{path}",
        headers={
            "origin": EVIL,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
        timeout=30,
    )
    assert r.status_code == 405, r.text
    assert not [h for h in r.headers if h.lower().startswith("access-control-")], r.headers
    assert "OPTIONS" not in r.headers.get("allow", "")

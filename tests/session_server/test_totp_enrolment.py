"""Second factor required for everyone: enrolment from the server host, then sign-in."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.bootstrap import ensure_account
from tests.session_server.helpers import serving

PASSWORD = "a long enough password"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_required_totp_is_enrolled_by_an_admin_and_completed_at_first_sign_in(
    tmp_path: Path, scheduler: InferenceScheduler
) -> None:
    settings = Settings(data_dir=tmp_path, port=_port(), require_totp=True)
    ensure_account(settings, "itadmin", "admin", PASSWORD)
    env = {**os.environ, "COMPANION_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "session_server.cli", "admin", "totp", "itadmin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    uri = re.search(r"otpauth://\S+", out)
    assert uri is not None
    totp = pyotp.parse_uri(uri.group(0))
    with serving(settings, scheduler) as url:
        body = {"username": "itadmin", "password": PASSWORD}
        assert httpx.post(f"{url}/v1/auth/token", json=body).status_code == 401
        wrong = {**body, "totp": "000000" if totp.now() != "000000" else "111111"}
        assert httpx.post(f"{url}/v1/auth/token", json=wrong).status_code == 401
        r = httpx.post(f"{url}/v1/auth/token", json={**body, "totp": totp.now()})
        assert r.status_code == 200
        # enrolment completed: a code stays required
        assert httpx.post(f"{url}/v1/auth/token", json=body).status_code == 401
    ensure_account(settings, "dr.nofactor", "clinician", PASSWORD)
    with serving(settings, scheduler) as url:
        r = httpx.post(
            f"{url}/v1/auth/token", json={"username": "dr.nofactor", "password": PASSWORD}
        )
        assert r.status_code == 401 and "second factor" in r.json()["detail"]

"""``companion admin|audit|keys|serve`` run as the real command, on a real data folder.

Each run starts a fresh interpreter that imports the whole service (a few seconds), so
independent runs go in parallel.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyotp
import pytest

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.app import open_stores
from session_server.bootstrap import ensure_account
from session_server.security.audit import AuditLog
from session_server.security.audit_chain import FIELDS, entry_hash
from tests.conftest import CLINICIAN_PASSWORD, _free_port, serve
from tests.session_server.helpers import http_client, transcribed_session

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an entirely different passphrase"
LABEL = "Ottoline Vandersloot"


def _companion_bin() -> str:
    beside = Path(sys.executable).parent / "companion"
    found = str(beside) if beside.is_file() else shutil.which("companion")
    if not found:
        pytest.fail("the companion command is not installed (pip install -e .)")
    return found


COMPANION = _companion_bin()


def env_for(data: Path, **extra: str) -> dict[str, str]:
    """This environment without any COMPANION_* setting, with the data folder ``data``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    return {**env, "COMPANION_DATA_DIR": str(data), **extra}


def companion(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMPANION, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(data),
        timeout=120,
        check=False,
    )


def companion_all(
    calls: Sequence[tuple[Path, Sequence[str], str]],
) -> list[subprocess.CompletedProcess[str]]:
    """Several runs at once, each ``(data folder, arguments, stdin)``: each is mostly
    start-up time."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda c: companion(c[0], *c[1], stdin=c[2]), calls))


def login(url: str, username: str, password: str, totp: str | None = None) -> httpx.Response:
    body = {"username": username, "password": password}
    if totp:
        body["totp"] = totp
    return httpx.post(f"{url}/v1/auth/token", json=body, timeout=30)


# -- accounts ---------------------------------------------------------------------------


def test_admin_commands_manage_accounts_of_a_server(
    tmp_path: Path, scheduler: InferenceScheduler
) -> None:
    made = companion(
        tmp_path, "admin", "create-user", "alice", "--role", "clinician", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created clinician alice")
    assert PASSWORD not in made.stdout + made.stderr
    assert (tmp_path / "companion.db").is_file() and (tmp_path / "keys.json").is_file()

    settings = Settings(data_dir=tmp_path, port=_free_port())
    with serve(settings, scheduler) as url:
        ensure_account(settings, "bob", "clinician", PASSWORD)
        tokens = {}
        for name in ("alice", "bob"):
            r = login(url, name, PASSWORD)
            assert r.status_code == 200, r.text
            tokens[name] = {"authorization": f"Bearer {r.json()['access_token']}"}
        me = httpx.get(f"{url}/v1/auth/me", headers=tokens["alice"], timeout=30).json()
        assert me["username"] == "alice" and me["role"] == "clinician"

        listed, reset, disabled = companion_all(
            [
                (tmp_path, ["admin", "list-users"], ""),
                (
                    tmp_path,
                    ["admin", "reset-password", "alice", "--password-stdin"],
                    NEW_PASSWORD + "\n",
                ),
                (tmp_path, ["admin", "disable-user", "bob"], ""),
            ]
        )
        assert listed.returncode == 0, listed.stderr
        rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()}
        assert rows["alice"][0] == "clinician" and rows["bob"][0] == "clinician"
        assert rows[f"clinician-{settings.port}"][0] == "clinician", "the server's own user"

        assert reset.returncode == 0, reset.stderr
        assert NEW_PASSWORD not in reset.stdout + reset.stderr
        assert login(url, "alice", PASSWORD).status_code == 401, "the old password is gone"
        alice_me = httpx.get(f"{url}/v1/auth/me", headers=tokens["alice"], timeout=30)
        assert alice_me.status_code == 401, "a password reset ends the user's sessions"
        assert login(url, "alice", NEW_PASSWORD).status_code == 200

        assert disabled.returncode == 0, disabled.stderr
        bob_me = httpx.get(f"{url}/v1/auth/me", headers=tokens["bob"], timeout=30)
        assert bob_me.status_code == 401, "a disabled user's token stops working"
        assert login(url, "bob", PASSWORD).status_code == 401

    # The commands are audited, as the system.
    audited = {(r["action"], r["actor"]) for r in _rows(tmp_path)}
    for action in ("user.create", "user.reset_password", "user.disable"):
        assert (action, "system") in audited, action


# -- the audit log ----------------------------------------------------------------------


def _copy_installation(src: Path, dst: Path) -> Path:
    dst.mkdir()
    shutil.copy(src / "keys.json", dst / "keys.json")
    with (
        closing(sqlite3.connect(src / "companion.db")) as a,
        closing(sqlite3.connect(dst / "companion.db")) as b,
    ):
        a.backup(b)
    return dst


def _sql(data: Path, *statements: tuple[str, Sequence[Any]]) -> None:
    with closing(sqlite3.connect(data / "companion.db")) as db:
        for sql, params in statements:
            assert db.execute(sql, params).rowcount == 1, sql
        db.commit()


def _rows(data: Path) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(data / "companion.db")) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM audit_log ORDER BY seq")]


def test_audit_verify_detects_edits_insertions_and_deletions(
    tmp_path: Path, scheduler: InferenceScheduler
) -> None:
    live = tmp_path / "live"
    settings = Settings(data_dir=live, port=_free_port())
    with serve(settings, scheduler) as url:
        name = f"clinician-{settings.port}"
        assert login(url, name, "a wrong password here").status_code == 401
        token = login(url, name, CLINICIAN_PASSWORD).json()["access_token"]
        r = httpx.get(f"{url}/v1/sessions", headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200
    rows = _rows(live)
    assert len(rows) >= 4, "the server audited its sign-ins and requests"
    assert {"auth.login", "session.list"} <= {r["action"] for r in rows}
    middle, last = rows[len(rows) // 2], rows[-1]

    untouched = _copy_installation(live, tmp_path / "untouched")
    edited = _copy_installation(live, tmp_path / "edited")
    _sql(
        edited,
        (
            "UPDATE audit_log SET outcome = ? WHERE seq = ?",
            ("ok" if middle["outcome"] != "ok" else "denied", middle["seq"]),
        ),
    )
    # A forger who knows the chain's construction appends a correctly linked entry and
    # moves the recorded head to it; only the head's authentication code can give it away.
    forged = _copy_installation(live, tmp_path / "forged")
    entry = {**last, "seq": last["seq"] + 1, "at": datetime.now(UTC).isoformat()}
    entry.update(actor="intruder", action="transcript.read", outcome="ok")
    entry["prev_hash"], entry["hash"] = last["hash"], entry_hash(last["hash"], entry)
    columns = [*FIELDS, "prev_hash", "hash"]
    marks = ", ".join("?" * len(columns))
    _sql(
        forged,
        (
            f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({marks})",
            [entry[c] for c in columns],
        ),
        ("UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = 2", (entry["seq"], entry["hash"])),
    )
    cut_middle = _copy_installation(live, tmp_path / "cut-middle")
    _sql(cut_middle, ("DELETE FROM audit_log WHERE seq = ?", (middle["seq"],)))
    cut_last = _copy_installation(live, tmp_path / "cut-last")
    _sql(cut_last, ("DELETE FROM audit_log WHERE seq = ?", (last["seq"],)))

    # Each with the entry the report must point at.
    cases = {
        untouched: None,
        edited: middle["seq"],  # its hash no longer matches
        forged: entry["seq"],  # the head's authentication code does not match
        cut_middle: middle["seq"] + 1,  # the sequence jumps
        cut_last: last["seq"],  # the recorded head is missing
    }
    results = companion_all([(data, ["audit", "verify"], "") for data in cases])
    ok, *tampered = results
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"intact: {len(rows)} entries" in ok.stdout
    for (data, seq), result in zip(list(cases.items())[1:], tampered, strict=True):
        assert result.returncode != 0, f"{data.name}: {result.stdout}"
        assert f"TAMPERED at entry {seq}:" in result.stdout, f"{data.name}: {result.stdout}"


def test_audit_verify_is_not_fooled_by_entries_appended_meanwhile(tmp_path: Path) -> None:
    """The check ``companion audit verify`` runs, while the service keeps appending."""
    store, _, audit_log = open_stores(Settings(data_dir=tmp_path))
    stop = threading.Event()

    def append() -> None:
        audit_log.append(
            actor="a", role="r", action="x", resource="y", request_id="z", outcome="ok"
        )

    def keep_appending() -> None:
        while not stop.is_set():
            append()

    for _ in range(20):
        append()
    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        reports = [audit_log.verify() for _ in range(30)]
    finally:
        stop.set()
        writer.join()
    try:
        assert [r.problem for r in reports if not r.ok] == []
        assert audit_log.verify().checked > reports[0].checked, "entries were appended"
    finally:
        store.engine.dispose()


def test_audit_entries_appended_by_two_processes_at_once_all_land(tmp_path: Path) -> None:
    """The service and an ``admin`` command append at the same time (two engines here):
    no append fails, and the chain stays whole."""
    settings = Settings(data_dir=tmp_path)
    stores = [open_stores(settings) for _ in range(2)]
    errors: list[str] = []

    def append_many(audit_log: AuditLog) -> None:
        for _ in range(60):
            try:
                audit_log.append(
                    actor="a", role="r", action="x", resource="y", request_id="z", outcome="ok"
                )
            except Exception as exc:
                errors.append(type(exc).__name__)

    writers = [threading.Thread(target=append_many, args=(log,)) for _, _, log in stores]
    try:
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        assert errors == []
        report = stores[0][2].verify()
        assert report.ok and report.checked == 120, report
    finally:
        for store, _, _ in stores:
            store.engine.dispose()


# -- key rotation ----------------------------------------------------------------------


def encrypted_columns(db_file: Path) -> dict[str, list[str]]:
    """Every non-null value of every ``*_enc`` column, by ``table.column``."""
    out: dict[str, list[str]] = {}
    with closing(sqlite3.connect(db_file)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]:
                if column.endswith("_enc"):
                    sql = f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                    out[f"{table}.{column}"] = [v for (v,) in db.execute(sql)]
    return out


async def test_keys_rotate_reencrypts_every_phi_column(
    tmp_path: Path, scheduler: InferenceScheduler, jfk: np.ndarray
) -> None:
    settings = Settings(data_dir=tmp_path, port=_free_port())
    with serve(settings, scheduler) as url:
        done = await transcribed_session(url, jfk, LABEL)
        async with http_client(url) as http:
            transcript = (await http.get(f"/v1/sessions/{done.session_id}/transcript")).json()
            client = (await http.get(f"/v1/clients/{done.client_id}")).json()
        # A user with a second factor: its secret is PHI-grade too.
        ensure_account(settings, "two-factor", "clinician", PASSWORD)
        token = login(url, "two-factor", PASSWORD).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        uri = httpx.post(f"{url}/v1/auth/totp/enroll", headers=auth).json()["provisioning_uri"]
        otp = pyotp.parse_uri(uri)
        r = httpx.post(f"{url}/v1/auth/totp/confirm", json={"code": otp.now()}, headers=auth)
        assert r.status_code == 200, r.text
    assert "americans" in json.dumps(transcript).lower() and client["label"] == LABEL
    old = json.loads((tmp_path / "keys.json").read_text())["active"]
    before = encrypted_columns(tmp_path / "companion.db")
    assert {k.split(".")[0] for k, v in before.items() if v} == {
        "clients",
        "events",
        "segments",
        "users",
    }
    assert all(v.split(".")[1] == old for values in before.values() for v in values)

    rotated = companion(tmp_path, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    ring = json.loads((tmp_path / "keys.json").read_text())
    new = ring["active"]
    assert new != old and old in ring["keys"] and new in rotated.stdout
    after = encrypted_columns(tmp_path / "companion.db")
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    stale = {k: [v.split(".")[1] for v in vs if v.split(".")[1] != new] for k, vs in after.items()}
    assert not any(stale.values()), f"values still under an old key: {stale}"

    # Retire the old key: everything must still read back, under the new one alone, and
    # the audit log still verifies (its head is authenticated under the new key).
    ring["keys"] = {new: ring["keys"][new]}
    (tmp_path / "keys.json").write_text(json.dumps(ring))
    pool = ThreadPoolExecutor(1)
    verifying = pool.submit(companion, tmp_path, "audit", "verify")
    try:
        with serve(Settings(data_dir=tmp_path, port=_free_port()), scheduler) as url:
            # Signed in as the clinician of the session (the new port's test user is another).
            r = login(url, f"clinician-{settings.port}", CLINICIAN_PASSWORD)
            assert r.status_code == 200, r.text
            headers = {"authorization": f"Bearer {r.json()['access_token']}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
                again = (await http.get(f"/v1/sessions/{done.session_id}/transcript")).json()
                client_again = (await http.get(f"/v1/clients/{done.client_id}")).json()
            assert again == transcript
            assert client_again["label"] == LABEL
            assert login(url, "two-factor", PASSWORD).status_code == 401
            assert login(url, "two-factor", PASSWORD, totp=otp.now()).status_code == 200
    finally:
        pool.shutdown(wait=True)
    verified = verifying.result(timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# -- serve -----------------------------------------------------------------------------


def test_serve_refuses_a_public_address_without_tls(tmp_path: Path) -> None:
    refused_dir, allowed_dir = tmp_path / "refused", tmp_path / "allowed"
    port = _free_port()
    args = [COMPANION, "serve", "--host", "0.0.0.0", "--port", str(port)]
    allowed_log = tmp_path / "allowed.log"
    with allowed_log.open("w") as log:
        allowed = subprocess.Popen(
            [*args, "--data", str(allowed_dir)],
            env=env_for(allowed_dir, COMPANION_ALLOW_INSECURE_BIND="1"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        refused = subprocess.run(
            [*args, "--data", str(refused_dir)],
            env=env_for(refused_dir),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "refusing to serve PHI without TLS" in refused.stderr
        assert "COMPANION_TLS_CERT" in refused.stderr
        assert not refused_dir.exists(), "it stopped before touching any data"

        # The escape hatch (behind a TLS-terminating proxy): the service really starts.
        deadline = time.monotonic() + 90
        while True:
            assert allowed.poll() is None, allowed_log.read_text()[-2000:]
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the allowed server did not come up"
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        allowed.terminate()
        try:
            allowed.wait(30)
        except subprocess.TimeoutExpired:
            allowed.kill()
            allowed.wait(10)

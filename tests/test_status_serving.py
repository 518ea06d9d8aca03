"""Serving the public side: caching (ETag, 304), security headers, read-only methods, 404, a fresh site within
a moment of an approval, and `warroom status export DIR` writing the same bytes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.publish.export import export, file_name
from tests.support.harness import SECRET, start_fake_slack
from tests.support.processes import environment, free_port, start, wait_healthy
from tests.support.status import TITLE, public_side

PATHS = (
    "/",
    "/incidents/INC-1",
    "/status.css",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/history.atom",
    "/history.rss",
)


def test_every_path_is_cacheable_and_answers_304_to_its_etag(database_url: str) -> None:
    with public_side(database_url) as public:
        public.harness.declare(f"P1 {TITLE}")
        public.approve(public.harness.entries()[0].id or 0)
        for path in PATHS:
            got = public.get(path)
            assert got.status == 200, path
            etag = got.headers["ETag"]
            assert etag.startswith('"') and got.headers["Cache-Control"] == "public, max-age=10", path
            assert got.headers["Content-Length"] == str(len(got.body))
            again = public.fetch(path, **{"If-None-Match": etag})
            assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag), path
            assert public.fetch(path, **{"If-None-Match": '"other", W/' + etag}).status == 304
            assert public.fetch(path, **{"If-None-Match": '"other"'}).status == 200
        before = public.get("/api/v2/summary.json").headers["ETag"]
        public.approve(public.draft("identified: The cause is known and a fix is rolling out."), response="two")
        after = public.get("/api/v2/summary.json", **{"If-None-Match": before})
        assert after.status == 200 and after.headers["ETag"] != before, "a new approval is a new version"


def test_security_headers_no_script_and_read_only(database_url: str) -> None:
    with public_side(database_url) as public:
        page = public.get("/")
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert '<html lang="en">' in page.text and "<script" not in page.text and " style=" not in page.text
        head = public.fetch("/", method="HEAD")
        assert head.status == 200 and head.body == b"" and head.headers["ETag"] == page.headers["ETag"]
        for method in ("POST", "PUT", "DELETE"):
            refused = public.fetch("/", method=method)
            assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD", method
        for path in ("/slack/events", "/incidents/INC-99", "/api/v2/nothing.json", "/../etc/passwd"):
            missing = public.fetch(path)
            assert missing.status == 404 and "Page not found" in missing.text, path
            assert missing.headers["Content-Security-Policy"] == csp


def test_an_approval_is_visible_within_a_second_without_being_asked(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        harness.declare(f"P1 {TITLE}")
        entry = harness.entries()[0]
        public.approve(entry.id or 0)
        approved = time.monotonic()
        while entry.text not in public.fetch("/api/v2/summary.json").text:  # the refresher's 200 ms check
            assert time.monotonic() - approved < 1.0, "not visible within 1 s"
            time.sleep(0.02)
        assert entry.text in public.fetch("/").text


def test_export_writes_the_same_bytes_as_served(database_url: str, tmp_path: Path) -> None:
    with public_side(database_url) as public:
        public.harness.declare(f"P1 {TITLE}")
        public.approve(public.harness.entries()[0].id or 0)
        public.get("/")
        site = public.server.holder.site
        written = export(site, tmp_path)
        assert (tmp_path / "index.html") in written and (tmp_path / "incidents" / "INC-1.html") in written
        assert (tmp_path / "incidents" / "INC-1" / "index.html").read_bytes() == public.fetch("/incidents/INC-1").body
        assert (tmp_path / "api" / "v2" / "summary.json").exists() and (tmp_path / "404.html").exists()
        for path in PATHS:
            assert (tmp_path / file_name(path)).read_bytes() == public.fetch(path).body, path


def test_status_bind_and_url_are_validated_and_the_url_defaults_from_the_bind() -> None:
    base = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SECRET,
        "warroom_mirror_channel": "CMIRROR01",
        "_env_file": None,
    }
    assert load_settings(**base).status_url is None
    assert load_settings(**base, warroom_status_bind="0.0.0.0:8080").status_url == "http://127.0.0.1:8080"
    settings = load_settings(**base, warroom_status_bind="127.0.0.1:8080", warroom_status_url="https://s.example/")
    assert settings.status_url == "https://s.example"
    with pytest.raises(ConfigError, match="WARROOM_STATUS_BIND: expected host:port"):
        load_settings(**base, warroom_status_bind="8080")
    with pytest.raises(ConfigError, match="WARROOM_STATUS_URL: expected the public base URL"):
        load_settings(**base, warroom_status_url="status.example.com")


def _raw(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_keep_alive_pipelining_and_malformed_requests(database_url: str) -> None:
    with public_side(database_url) as public:
        url = public.server.url
        first = b"GET /api/v2/status.json HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
        two = _raw(url, first + last)
        assert two.count(b"HTTP/1.1 200 OK") == 2, "pipelined on one connection, closed when asked"
        assert _raw(url, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 OK"), "HTTP/1.0 closes after one"
        assert _raw(url, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 Bad Request")
        assert _raw(url, b"GET / HTTP/1.1\r\nX: " + b"a" * 20000).startswith(b"HTTP/1.1 431")
        posted = _raw(url, b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        assert posted.startswith(b"HTTP/1.1 405") and b"Connection: close" in posted


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_warroom_serves_the_status_page_on_its_own_bind_and_exports_it(tmp_path: Path) -> None:
    fake = start_fake_slack()
    port, status_port = free_port(), free_port()
    env = environment(
        fake,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        PORT=str(port),
        WARROOM_STATUS_BIND=f"127.0.0.1:{status_port}",
        WARROOM_STATUS_URL="https://status.acme.example",
    )
    process = start(env, tmp_path)
    try:
        wait_healthy(port, process)
        status = f"http://127.0.0.1:{status_port}"
        deadline = time.monotonic() + 30
        while not _answers(status + "/api/v2/status.json"):
            assert time.monotonic() < deadline, "the status page did not come up"
            time.sleep(0.1)
        with urllib.request.urlopen(status + "/api/v2/summary.json", timeout=5) as response:
            assert json.loads(response.read())["page"]["url"] == "https://status.acme.example"
        assert not _answers(status + "/slack/events") and not _answers(status + "/healthz"), "no Slack routes"
        assert not _answers(f"http://127.0.0.1:{port}/api/v2/summary.json"), "and no public page on Slack's port"
    finally:
        process.terminate()
        process.wait(timeout=30)
        fake.stop()
    deadline = time.monotonic() + 5
    while _answers(f"http://127.0.0.1:{status_port}/"):
        assert time.monotonic() < deadline, "the status page outlived Warroom"
        time.sleep(0.1)

    exported = subprocess.run(
        [sys.executable, "-m", "bot", "status", "export", str(tmp_path / "site")],
        env={**env, "SLACK_API_URL": "http://127.0.0.1:9/api/"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    assert "files of the status page" in exported.stdout
    summary = json.loads((tmp_path / "site" / "api" / "v2" / "summary.json").read_text())
    assert summary["status"]["indicator"] == "none"
    assert (tmp_path / "site" / "index.html").read_text().startswith("<!doctype html>")


def test_export_refuses_a_database_that_is_not_there_and_needs_no_slack_settings(tmp_path: Path) -> None:
    plain = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL"))}
    missing = tmp_path / "typo.db"

    def export_with(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "status", "export", str(tmp_path / "site")],
            env={**plain, **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    typo = export_with(DATABASE_URL=f"sqlite:///{missing}", WARROOM_STATUS_URL="https://status.acme.example")
    assert typo.returncode == 2, typo.stdout
    assert "DATABASE_URL names no Warroom database at the newest schema" in typo.stderr
    assert "SLACK_BOT_TOKEN" not in typo.stderr, "export never talks to Slack"
    assert not missing.exists() and not (tmp_path / "site").exists(), "nothing created, nothing published"

    unaddressed = export_with(DATABASE_URL=f"sqlite:///{missing}")
    assert unaddressed.returncode == 2
    assert "set WARROOM_STATUS_URL to the public address" in unaddressed.stderr

"""The playbook's public keys: status_page, components, impact and webhooks, with one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.playbook import Playbook, PlaybookError, load_playbook
from bot.vocabulary import Impact, WebhookEvent

SEVERITIES = "severities:\n  P1: {label: Full outage, cadence: 15m}\n  P2: {label: Degraded, cadence: 30m}\n"


def hook(**fields: str) -> str:
    """One webhook endpoint as YAML flow mapping: a good one, with `fields` changed or added."""
    good = {"name": "helpdesk", "url": "'https://x.example/h'", "secret_env": "X_SECRET", "events": "[entry.approved]"}
    return "{" + ", ".join(f"{key}: {value}" for key, value in {**good, **fields}.items()) + "}"


def load(tmp_path: Path, extra: str) -> Playbook:
    path = tmp_path / "playbook.yml"
    path.write_text(SEVERITIES + extra)
    return load_playbook(path)


def test_the_public_keys_read_as_documented(tmp_path: Path) -> None:
    local = hook(name="local", url="'http://127.0.0.1:9000/in'", events="[incident.declared, incident.declared]")
    playbook = load(
        tmp_path,
        "status_page: {title: Acme status, logo_url: 'https://acme.example/logo.svg'}\n"
        f"components: [API, ' Checkout ']\nimpact: {{p2: minor}}\nwebhooks:\n  - {hook()}\n  - {local}\n",
    )

    assert playbook.status_page.title == "Acme status"
    assert playbook.components == ["API", "Checkout"]
    assert playbook.component("checkout") == "Checkout" and playbook.component("Billing") is None
    assert (playbook.impact_of("P1"), playbook.impact_of("p2")) == (Impact.CRITICAL, Impact.MINOR)
    assert [endpoint.name for endpoint in playbook.webhooks] == ["helpdesk", "local"]
    assert playbook.webhooks[1].events == [WebhookEvent.INCIDENT_DECLARED], "listed once"


def test_the_shipped_playbook_publishes_nothing_until_told() -> None:
    playbook = load_playbook()
    assert (playbook.components, playbook.webhooks) == ([], [])
    assert [playbook.impact_of(name) for name in ("P1", "P2", "P3")] == [Impact.CRITICAL, Impact.MAJOR, Impact.MINOR]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("status_page: {title: Acme, theme: dark}\n", "status_page.theme: unknown key"),
        ("status_page: {logo_url: 'http://acme.example/logo.png'}\n", "status_page.logo_url: expected an https://"),
        ("components: [API, api]\n", "components: each component is listed once"),
        ("components: ['<script>']\n", "components: component '<script>': expected 1-60 letters"),
        ("impact: {P9: critical}\n", "impact: P9 not among the severities (P1, P2)"),
        ("impact: {P1: catastrophic}\n", "impact.P1: Input should be 'none', 'minor', 'major' or 'critical'"),
        (
            "webhooks:\n  - " + hook(url="'http://example.com/hook'") + "\n",
            "webhooks.0.url: 'http://example.com/hook': expected an https:// URL (plain http only to a loopback",
        ),
        (
            f"webhooks:\n  - {hook(secret_env='whsec_abc')}\n",
            "webhooks.0.secret_env: 'whsec_abc': expected the name of an environment variable",
        ),
        (
            f"webhooks:\n  - {hook(events='[entry.posted]')}\n",
            "webhooks.0.events.0: Input should be 'incident.declared'",
        ),
        (f"webhooks:\n  - {hook(events='[]')}\n", "webhooks.0.events: list at least one event"),
        (f"webhooks:\n  - {hook()}\n  - {hook()}\n", "webhooks: each webhook needs its own name"),
        (f"webhooks:\n  - {hook(secret='whsec_abc')}\n", "webhooks.0.secret: unknown key"),
        (f"webhooks:\n  - {hook(name='Help Desk')}\n", "webhooks.0.name: 'Help Desk': expected 1-40 lowercase"),
    ],
)
def test_a_bad_public_key_stops_the_app_naming_the_file_the_key_and_the_reason(
    tmp_path: Path, extra: str, problem: str
) -> None:
    with pytest.raises(PlaybookError) as raised:
        load(tmp_path, extra)
    assert f"{tmp_path / 'playbook.yml'}: {problem}" in str(raised.value)

"""`warroom` / `python -m bot`: run the app, upgrade the database, or check the configuration."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.playbook import Playbook, PlaybookError, load_playbook

SETUP_SECTION = "README.md#set-it-up-in-slack-in-5-minutes"
# `status export` and `webhooks test` never talk to Slack: they need no Slack settings, so these stand in for them.
_NO_SLACK: dict[str, object] = {
    "slack_bot_token": "xoxb-unused-by-this-command",
    "slack_signing_secret": "unused-by-this-command",
    "slack_app_token": None,
    "warroom_mirror_channel": "C0UNUSED00",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `warroom` command."""
    parser = argparse.ArgumentParser(prog="warroom", description="Warroom: incident war-room communication for Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="upgrade the database and start the app (the default)")
    check = sub.add_parser(
        "check", help="prove the tokens, scopes, mirror channel, playbook and templates work with Slack, then exit"
    )
    check.add_argument("--offline", action="store_true", help="validate only the settings and the playbook")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="bring the schema up to date")
    sandbox = sub.add_parser(
        "sandbox", help="try Warroom in a browser with no Slack workspace: a built-in Slack stand-in on loopback"
    )
    sandbox.add_argument("--port", type=_port, default=3000, help="the page's port on 127.0.0.1 (default 3000)")
    sandbox.add_argument(
        "--speed", type=_speed, default=1.0, help="run the playbook's clock this many times faster, e.g. 30 for a drill"
    )
    sandbox.add_argument(
        "--db", type=Path, default=Path("warroom-sandbox.db"), help="the SQLite file (default ./warroom-sandbox.db)"
    )
    status = sub.add_parser("status", help="the public status page")
    status.add_argument("action", choices=["export"], help="write the status page, API and feeds as static files")
    status.add_argument("directory", type=Path, help="where to write them")
    webhooks = sub.add_parser("webhooks", help="the playbook's webhook endpoints")
    webhooks.add_argument("action", choices=["test"], help="send a signed webhook.test event now")
    webhooks.add_argument("name", help="the endpoint's name in the playbook")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every tick, twice a second
    if args.command == "sandbox":
        from bot.sandbox.main import serve

        return serve(port=args.port, speed=args.speed, db=args.db)

    try:
        settings = load_settings(**(_NO_SLACK if args.command in ("status", "webhooks") else {}))
        playbook = load_playbook(settings.warroom_playbook)
    except (ConfigError, PlaybookError) as error:
        print(f"warroom: configuration problem:\n{_indent(str(error))}", file=sys.stderr)
        hint = _no_env_hint()
        if hint:
            print(hint, file=sys.stderr)
        return 2
    # From here the settings own the bot token. Bolt's App() would read SLACK_BOT_TOKEN from the environment
    # again, next to the client that already holds it, and warn "`token` will be unused" once per worker.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    if args.command == "webhooks":
        from bot.publish.webhook_sending import send_test_event

        timeout = settings.warroom_webhook_timeout.total_seconds()
        return send_test_event(playbook.webhooks, args.name, timeout=timeout, out=sys.stdout, err=sys.stderr)
    if args.command == "check":
        if args.offline:
            print("warroom: settings and playbook are valid")
            return 0
        return _check(settings, playbook)
    # Imported only where used: `check --offline` (run by many scripts) then needs neither slack_sdk nor Alembic.
    from bot.store.db import upgrade

    if args.command == "db":
        upgrade(settings.database_url)
        print("warroom: database is up to date")
        return 0
    if args.command == "status":
        return _export(settings, args.directory)
    from bot import startup

    report = startup.check(settings, playbook)  # before touching the database: a refused token changes nothing
    for finding in report.findings:
        if finding.checked and not finding.ok:
            print(finding.line, file=sys.stderr)
    if report.blocking:
        return 2
    upgrade(settings.database_url)
    print(startup.ready_line(settings, report), flush=True)  # before gunicorn forks: once per start
    return _run(settings)


def _check(settings: Settings, playbook: Playbook) -> int:
    """`warroom check`: one line per check, exit 0 only when all pass."""
    from bot import startup

    report = startup.check(settings, playbook)
    for finding in report.findings:
        print(finding.line)
    failed = sum(not finding.ok for finding in report.findings)
    if failed:
        print(f"warroom: {failed} of {len(report.findings)} checks failed")
        return 1
    print(f"warroom: all {len(report.findings)} checks passed")
    return 0


def _no_env_hint() -> str | None:
    """Where to start when there is no .env and the required settings are not in the environment either."""
    if Path(".env").exists():
        return None
    missing = [name for name in ("SLACK_BOT_TOKEN", "WARROOM_MIRROR_CHANNEL") if not os.environ.get(name)]
    if not missing:
        return None
    return (
        f"warroom: there is no .env in {Path.cwd()}, and {' and '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not set in the environment.\n"
        "  Start from the example in Warroom's source: cp .env.example .env, fill it in, then run warroom check.\n"
        f'  Step by step: "Set it up in Slack in 5 minutes" ({SETUP_SECTION})'
    )


def _run(settings: Settings) -> int:
    from bot.publish.serve import StatusStartError, spawn

    try:
        if spawn(settings) is not None:  # the public page on its own bind and process (WARROOM_STATUS_BIND)
            print(f"warroom: status page on {settings.warroom_status_bind} ({settings.status_url})", flush=True)
    except StatusStartError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 2
    if settings.socket_mode:
        from bot.socket_mode import serve_socket_mode  # the app token was proven at start (bot/startup.py)

        return serve_socket_mode(settings)
    from bot.server import WarroomServer

    WarroomServer(settings).run()
    return 0


def _export(settings: Settings, directory: Path) -> int:
    """`warroom status export DIR`: never from a database that is not there or not migrated (an empty one would
    publish "All Systems Operational" during an outage), and never with links to a placeholder address."""
    from bot.publish.serve import export_site
    from bot.store.db import up_to_date

    if not settings.status_url:
        print(
            "warroom: set WARROOM_STATUS_URL to the public address the site will be served from "
            "(its pages, feeds and API link there)",
            file=sys.stderr,
        )
        return 2
    if not up_to_date(settings.database_url):
        print(
            "warroom: DATABASE_URL names no Warroom database at the newest schema; check the URL "
            "(or run `warroom db upgrade` on the right one). Nothing was written.",
            file=sys.stderr,
        )
        return 2
    written = export_site(settings, directory)
    print(f"warroom: wrote {len(written)} files of the status page to {directory}")
    return 0


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number from 1 to 65535 (or 0 for any free one), not {value!r}"
        )
    return int(value)


def _speed(value: str) -> float:
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if not 0.1 <= speed <= 1000:
        raise argparse.ArgumentTypeError(
            f"expected a speed from 0.1 to 1000 (30 runs a 15-minute cadence in 30 s), not {value!r}"
        )
    return speed


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())

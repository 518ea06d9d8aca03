"""`warroom` / `python -m bot`: run the app, upgrade the database, or check the configuration."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.config import ConfigError, Settings, load_settings
from bot.playbook import PlaybookError, load_playbook
from bot.store.db import upgrade


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `warroom` command."""
    parser = argparse.ArgumentParser(prog="warroom", description="Warroom: incident war-room communication for Slack")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="upgrade the database and start the app (the default)")
    sub.add_parser("check", help="validate the settings and the playbook, then exit")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="bring the schema up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every tick, twice a second

    try:
        settings = load_settings()
        load_playbook(settings.warroom_playbook)
    except (ConfigError, PlaybookError) as error:
        print(f"warroom: configuration problem:\n{_indent(str(error))}", file=sys.stderr)
        return 2
    if args.command == "check":
        print("warroom: settings and playbook are valid")
        return 0
    upgrade(settings.database_url)
    if args.command == "db":
        print("warroom: database is up to date")
        return 0
    problem = _slack_refuses(settings)
    if problem:
        print(f"warroom: {problem}", file=sys.stderr)
        return 2
    return _run(settings)


def _slack_refuses(settings: Settings) -> str | None:
    """One line on why Slack will not work with these settings, or None when the bot token is accepted."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    try:
        WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10).auth_test()
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else "no answer"
        return f"SLACK_BOT_TOKEN: Slack refused it ({code}); copy the Bot User OAuth Token again after installing"
    except OSError as error:
        return f"SLACK_API_URL: cannot reach Slack at {settings.slack_api_url} ({error})"
    return None


def _run(settings: Settings) -> int:
    if settings.socket_mode:
        from bot.socket_mode import serve_socket_mode  # the app token was proven at start (bot/startup.py)

        return serve_socket_mode(settings)
    from bot.server import WarroomServer

    WarroomServer(settings).run()
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())

"""Running `python -m bot check --offline` as a person would, and reading the problems it lists.

`warroom_check` runs the command's `main` in this process (tests/support/in_process.py); `warroom_check_process`
starts the real `python -m bot`, for the tests that keep the entry point proven.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from tests.support.in_process import run_main

SETTING_NAMES = {name.upper() for name in Settings.model_fields}
HEADER = "warroom: configuration problem:"
VALID = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-abcdef",
    "WARROOM_MIRROR_CHANNEL": "C0123456789",
    "SLACK_APP_TOKEN": "xapp-1-A111-2222-abcdef",
}


def clean_environ() -> dict[str, str]:
    """This process's environment without anything Warroom would read as a setting."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(("SLACK_", "WARROOM_")) and name.upper() not in SETTING_NAMES
    }


def warroom_check(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot check --offline` in `cwd` (where a .env would be read from) with exactly `settings` set, run
    in this process."""
    return run_main(["check", "--offline"], env={**clean_environ(), **settings}, cwd=cwd)


def warroom_check_process(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """The same, as a separate `python -m bot` process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--offline"],
        cwd=cwd,
        env={**clean_environ(), "PYTHONIOENCODING": "utf-8", **settings},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The problem lines of a refused configuration, after checking the command failed cleanly."""
    assert result.returncode == 2, f"expected exit status 2, got {result.returncode}:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == HEADER, result.stderr
    listed = list(itertools.takewhile(lambda line: line.startswith("  "), lines[1:]))
    after = lines[1 + len(listed) :]
    assert not after or after[0].startswith("warroom: there is no .env"), "every problem is indented under the header"
    return [line.strip() for line in listed]

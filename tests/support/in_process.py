"""`python -m bot …` run inside the test's own process: the same `main`, environment, working directory and output,
without paying for a new interpreter and Warroom's imports on every call.

Tests whose subject is the command's answer (its lines and exit status) use this; tests whose subject is the process
itself (start-up, serving, signals, the real entry point) still start `python -m bot` (tests/test_cli.py,
tests/test_socket_mode.py, and one real-process test each in tests/test_settings.py and tests/test_check.py).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

from bot.cli import main


def run_main(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`bot.cli.main(args)` with exactly `env` as the environment and `cwd` as the working directory (where a .env
    would be read from), its stdout and stderr captured; everything is put back afterwards."""
    saved_environ = dict(os.environ)
    saved_cwd = Path.cwd()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    out, err = StringIO(), StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exit_:  # argparse's errors, as the process would end
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    return subprocess.CompletedProcess([sys.executable, "-m", "bot", *args], code, out.getvalue(), err.getvalue())

"""Running the installed ``autograd-core`` command from tests (shared by the CLI test files)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli_command() -> list[str]:
    """The installed console script, else ``python -m autograd_core.cli``."""
    beside = Path(sys.executable).with_name("autograd-core")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("autograd-core")
    if found:
        return [found]
    return [sys.executable, "-m", "autograd_core.cli"]


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without NO_COLOR, with the checkout importable."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run(*argv: str, stdin: str | None = None, cwd: Path | None = None,
        command: list[str] | None = None, timeout: float = 120,
        **env: str) -> subprocess.CompletedProcess[str]:
    """Run the command with ``argv`` and capture its output as text."""
    return subprocess.run(
        [*(command or cli_command()), *argv], input=stdin, capture_output=True, text=True,
        cwd=cwd, env=environment(**env), timeout=timeout,
    )


class Keyboard(io.StringIO):
    """A standard input that says it is a terminal."""

    def isatty(self):
        return True


class Screen(io.StringIO):
    """A standard output that says it is a terminal."""

    def isatty(self):
        return True

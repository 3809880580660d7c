"""The README's command-line transcripts are real: each command prints what is shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from autograd_core import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def transcripts() -> list[tuple[list[str], str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: cli -->", 1)[1].split("<!-- section:", 1)[0]
    found = []
    for block in re.findall(r"```console\n(.*?)```", section, re.DOTALL):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            argv = shlex.split(command)
            found.append((argv, output))
    return found


CASES = transcripts()


def test_the_readme_has_command_line_examples():
    assert len(CASES) >= 4
    assert {argv[1] for argv in (a for a, _ in CASES)} >= {"grad", "step"}


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_readme_transcript(capsys, argv, expected):
    assert argv[0] == "autograd-core"
    if argv[1] not in cli._available_commands():
        pytest.skip(f"{argv[1]} is not available in this checkout")
    code = cli.main(argv[1:])
    out, err = capsys.readouterr()
    assert out + err == expected
    assert code == (2 if err else 0)

"""End to end: the installed ``autograd-core`` console script, run as a subprocess.

Falls back to ``python -m autograd_core.cli`` when the script is not installed (a plain
checkout). Kept to a handful of runs: each start-up costs about 0.2 s.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from cli_support import REPO, cli_command, environment, run

import autograd_core
from autograd_core import Value


def test_grad_prints_the_neuron_gradients(tmp_path):
    result = run("grad", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\033[" not in result.stdout  # a pipe is not a terminal
    rows = {line.split()[0]: float(line.split()[1]) for line in result.stdout.splitlines()[1:]}
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    o = (x * w + b).tanh()
    o.backward()
    assert rows == {"value": o.data, "d/dx": x.grad, "d/dw": w.grad, "d/db": b.grad}
    assert math.isclose(rows["d/dx"], -1.5, rel_tol=1e-9)


def test_grad_json_second_and_vars_file(tmp_path):
    (tmp_path / "point.json").write_text('{"x": 1.5, "y": 0.25}', encoding="utf-8")
    result = run("grad", "x**3 * exp(y)", "--vars", "point.json", "--json", "--second",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    x, y = 1.5, 0.25
    assert math.isclose(data["gradient"]["x"], 3 * x * x * math.exp(y), rel_tol=1e-12)
    assert math.isclose(data["hessian"]["x"]["y"], 3 * x * x * math.exp(y), rel_tol=1e-12)
    assert math.isclose(data["hessian"]["x"]["x"], 6 * x * math.exp(y), rel_tol=1e-12)


@pytest.mark.parametrize(
    ("argv", "stdin", "fragment"),
    [
        (["grad", "x +* y", "x=1", "y=2"], None, "syntax error at column 4"),
        (["grad", "log(x)", "x=-1"], None, "log(x) needs x > 0"),
        (["grad", "x", "x=abc"], None, "'abc' is not a number"),
        (["grad", "__import__('os').system('echo hacked')"], None, "not allowed"),
        (["grad", "9**9**9"], None, "too large"),
        (["grad", "-", "x=1"], "(" * 100_000 + "x" + ")" * 100_000, "too long"),
        (["grad", "(" * 4000 + "x" + ")" * 4000, "x=1"], None, "nests too deeply"),
        (["grad", "1if x else 2", "x=1"], None, "conditional expressions"),
    ],
)
def test_user_mistakes_exit_2_with_one_clear_line(tmp_path, argv, stdin, fragment):
    result = run(*argv, stdin=stdin, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "hacked" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("autograd-core: error: ") and fragment in lines[0]
    if "syntax error" in fragment:
        assert len(lines) == 3 and lines[2].strip() == "^"
    else:
        assert len(lines) == 1


def test_version_and_help(tmp_path):
    version = run("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"autograd-core {autograd_core.__version__}"
    top = run("--help", cwd=tmp_path)
    assert top.returncode == 0 and "examples:" in top.stdout
    grad_help = run("grad", "--help", cwd=tmp_path)
    assert grad_help.returncode == 0
    assert 'autograd-core grad "tanh(x*w + b)"' in grad_help.stdout


def test_python_dash_m_runs_the_same_command(tmp_path):
    result = run("grad", "x*y", "x=3", "y=4", "--json", cwd=tmp_path,
                 command=[sys.executable, "-m", "autograd_core.cli"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["gradient"] == {"x": 4.0, "y": 3.0}


def test_step_off_a_terminal_prints_every_step_and_exits(tmp_path):
    result = run("step", "x*w + b", "x=2", "w=-3", "b=1", stdin="", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "t1 = x * w" in result.stdout and "df/dw" in result.stdout
    assert "[Enter]" not in result.stdout


def test_entry_point_in_pyproject_is_main():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^autograd-core\s*=\s*"([\w.]+):(\w+)"', text, re.MULTILINE)
    assert match, "pyproject.toml must declare the autograd-core console script"
    module, name = match.groups()
    assert (module, name) == ("autograd_core.cli", "main")
    from autograd_core.cli import main

    assert callable(main)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("no_color", [False, True])
def test_colour_on_a_real_terminal_unless_no_color(tmp_path, no_color):
    import pty

    main_fd, child_fd = pty.openpty()
    extra = {"TERM": "xterm"}
    if no_color:
        extra["NO_COLOR"] = "1"
    env = environment(**extra)
    process = subprocess.Popen(
        [*cli_command(), "grad", "x*x", "x=3"], stdin=subprocess.DEVNULL, stdout=child_fd,
        stderr=subprocess.PIPE, cwd=tmp_path, env=env,
    )
    os.close(child_fd)
    output = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the terminal closes when the child exits
            break
        if not chunk:
            break
        output += chunk
    os.close(main_fd)
    assert process.wait(timeout=120) == 0
    process.stderr.close()
    text = output.decode()
    assert "6.0" in text
    assert ("\033[" in text) is (not no_color)


def test_graph_writes_svg_and_dot(tmp_path):
    from autograd_core.cli import _available_commands

    if "graph" not in _available_commands():
        pytest.skip("viz is not available")
    from viz.render import renderer

    if not renderer():
        pytest.skip("no Graphviz renderer installed")
    result = run("graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", "neuron.svg",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "neuron.svg").read_text(encoding="utf-8")
    dot = run("graph", "x*y", "x=1", "y=2", "--rankdir", "TB", cwd=tmp_path)
    assert dot.returncode == 0 and "rankdir=TB" in dot.stdout


def _read_all(fd: int) -> bytes:
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closes when the child exits
            return output
        if not chunk:
            return output
        output += chunk


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_step_on_a_real_terminal_waits_for_enter_and_quits_on_q(tmp_path):
    import pty

    from autograd_core.cli import _available_commands, commands

    if "step" not in _available_commands():
        pytest.skip("autograd_core.steps is not available")
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(
        [*cli_command(), "step", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88"],
        stdin=child_fd, stdout=child_fd, stderr=subprocess.PIPE, cwd=tmp_path,
        env=environment(NO_COLOR="1"),
    )
    os.close(child_fd)
    os.write(main_fd, b"\nq\n")  # Enter (one more step), then q (quit); the terminal buffers
    text = _read_all(main_fd).decode()
    os.close(main_fd)
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == b""
    process.stderr.close()
    assert text.count(commands.STEP_PROMPT) == 2
    assert "f = tanh(t2):" in text and "t2 = t1 + b:" in text
    assert "t1 = x * w:" not in text  # quit before the third step

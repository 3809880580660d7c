"""The ``step`` command: the backward pass one chain-rule step at a time."""

from __future__ import annotations

import math
import sys

import pytest
from cli_support import Keyboard, Screen

from autograd_core import Value, cli
from autograd_core.cli import commands

pytestmark = pytest.mark.skipif(
    "step" not in cli._available_commands(), reason="autograd_core.steps is not available"
)

NEURON = ["tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432"]


def step_lines(out: str) -> list[str]:
    """The lines that start a step (``name = expression: ...``)."""
    return [line for line in out.splitlines()[1:] if ": " in line and not line.startswith(" ")]


def summary(out: str) -> dict[str, float]:
    rows = [line.split() for line in out.splitlines() if line.startswith("df/d")]
    return {label[len("df/d"):]: float(value) for label, value in rows}


def test_not_a_terminal_prints_every_step_and_the_gradients(capsys):
    assert cli.main(["step", *NEURON]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[0].startswith("f = tanh(x*w + b)") and "3 steps" in out
    assert [line.split(":")[0] for line in step_lines(out)] == [
        "f = tanh(t2)", "t2 = t1 + b", "t1 = x * w",
    ]
    assert "x.grad += w * t1.grad" in out  # variables appear under their own names
    grads = summary(out)
    # oracle: central differences of the same function on floats
    def f(x, w, b):
        return math.tanh(x * w + b)

    point = {"x": 2.0, "w": -3.0, "b": 6.8813735870195432}
    for name in point:
        h = 1e-6
        up = dict(point, **{name: point[name] + h})
        down = dict(point, **{name: point[name] - h})
        assert math.isclose(grads[name], (f(**up) - f(**down)) / (2 * h), rel_tol=1e-7)


def test_step_gradients_equal_the_python_api(capsys):
    assert cli.main(["step", "x*y + sin(x)/y", "x=0.5", "y=-2"]) == 0
    grads = summary(capsys.readouterr().out)
    x, y = Value(0.5), Value(-2.0)
    (x * y + x.sin() / y).backward()
    assert grads == {"x": x.grad, "y": y.grad}


def test_a_variable_named_f_keeps_its_name(capsys):
    assert cli.main(["step", "f * x", "f=2", "x=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("out = f * x")
    assert "f.grad += x * out.grad" in out


def test_nothing_to_step_through(capsys):
    assert cli.main(["step", "2 + 3"]) == 0
    assert "0 steps" in capsys.readouterr().out


def interactive(monkeypatch, keys: str) -> str:
    screen = Screen()
    monkeypatch.setattr(sys, "stdin", Keyboard(keys))
    monkeypatch.setattr(sys, "stdout", screen)
    assert cli.main(["step", *NEURON]) == 0
    return screen.getvalue()


def test_on_a_terminal_enter_shows_one_step_at_a_time(monkeypatch):
    out = interactive(monkeypatch, "\n\n")
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 3
    assert out.count(commands.STEP_PROMPT) == 2  # none after the last step
    assert "df/dx" in out


def test_on_a_terminal_q_quits(monkeypatch):
    out = interactive(monkeypatch, "q\n")
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 1
    assert "df/dx" not in out


def test_on_a_terminal_a_shows_all_the_rest(monkeypatch):
    out = interactive(monkeypatch, "a\n")
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 3
    assert out.count(commands.STEP_PROMPT) == 1


def test_on_a_terminal_end_of_input_quits(monkeypatch):
    out = interactive(monkeypatch, "")
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 1


def test_all_option_never_waits(monkeypatch):
    screen = Screen()
    monkeypatch.setattr(sys, "stdin", Keyboard(""))
    monkeypatch.setattr(sys, "stdout", screen)
    assert cli.main(["step", "--all", *NEURON]) == 0
    assert commands.STEP_PROMPT not in screen.getvalue()


def test_step_user_errors_exit_2(capsys):
    assert cli.main(["step", "log(x)", "x=0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1

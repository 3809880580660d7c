"""Forward mode and gradient paths on the command line (issue 14): ``step --forward``,
``grad --paths`` and ``graph --html --forward``."""

from __future__ import annotations

import json
import math
import re
import sys

import pytest
from cli_support import Keyboard, Screen, run

from autograd_core import Value, cli, gradients, jvp, steps
from autograd_core.cli import commands

NEURON = ["tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432"]
POINT = {"x": 2.0, "w": -3.0, "b": 6.8813735870195432}


def neuron_grads() -> dict[str, float]:
    leaves = {name: Value(v, label=name) for name, v in POINT.items()}
    out = (leaves["x"] * leaves["w"] + leaves["b"]).tanh()
    return dict(zip(leaves, gradients(out, list(leaves.values())), strict=True))


def step_lines(out: str) -> list[str]:
    return [line for line in out.splitlines()[1:] if ".dot = " in line]


def ending(out: str) -> tuple[str, float]:
    label, value = out.strip().splitlines()[-1].rsplit(None, 1)
    return label.strip(), float(value)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("autograd-core: error: ")
    return lines[0]


# --------------------------------------------------------------------------- step --forward
def test_forward_steps_from_the_inputs_and_ends_with_the_derivative(capsys):
    assert cli.main(["step", "--forward", *NEURON]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    head = out.splitlines()[0]
    assert head.startswith("f = tanh(x*w + b)") and "forward mode, x.dot = 1.0: 3 steps" in head
    # inputs first: the reverse of the backward pass's order
    assert [line.split(":")[0] for line in step_lines(out)] == [
        "t1 = x * w", "t2 = t1 + b", "f = tanh(t2)",
    ]
    assert "t1.dot = w * x.dot + x * w.dot = -3.0 * 1.0 + 2.0 * 0.0 = -3.0" in out
    assert "[1 multiply, 0 adds so far]" in out
    label, value = ending(out)
    assert label == "df/dx"
    assert value == pytest.approx(neuron_grads()["x"], rel=1e-12)


def test_wrt_chooses_the_input(capsys):
    assert cli.main(["step", "--forward", *NEURON, "--wrt", "b"]) == 0
    out = capsys.readouterr().out
    assert "b.dot = 1.0" in out.splitlines()[0]
    label, value = ending(out)
    assert label == "df/db" and value == pytest.approx(neuron_grads()["b"], rel=1e-12)


def test_several_wrt_and_a_direction_give_the_directional_derivative(capsys):
    g = neuron_grads()
    assert cli.main(["step", "--forward", *NEURON, "--wrt", "x", "--wrt", "w"]) == 0
    label, value = ending(capsys.readouterr().out)
    assert label == "df along (x.dot = 1.0, w.dot = 1.0)"
    assert value == pytest.approx(g["x"] + g["w"], rel=1e-12)
    assert cli.main(["step", "--forward", *NEURON, "--tangent", "x=0.5",
                     "--tangent", "b=-2"]) == 0
    label, value = ending(capsys.readouterr().out)
    assert label == "df along (x.dot = 0.5, b.dot = -2.0)"
    assert value == pytest.approx(0.5 * g["x"] - 2.0 * g["b"], rel=1e-12)


def test_the_printed_value_is_jvp_exactly(capsys):
    assert cli.main(["step", "--forward", "x**3 * sin(y) + y", "x=1.5", "y=0.7",
                     "--tangent", "x=2", "--tangent", "y=-1"]) == 0
    _, printed = ending(capsys.readouterr().out)
    _, tangent = jvp(lambda x, y: x ** 3 * y.sin() + y, (1.5, 0.7), (2.0, -1.0))
    assert printed == pytest.approx(float(tangent), rel=1e-12)


def test_a_bare_variable_has_no_step_and_derivative_one(capsys):
    assert cli.main(["step", "--forward", "x", "x=2"]) == 0
    out = capsys.readouterr().out
    assert "0 steps" in out.splitlines()[0]
    assert ending(out) == ("dx/dx", 1.0)


def test_on_a_terminal_enter_steps_and_q_quits(monkeypatch):
    screen = Screen()
    monkeypatch.setattr(sys, "stdin", Keyboard("\nq\n"))
    monkeypatch.setattr(sys, "stdout", screen)
    assert cli.main(["step", "--forward", *NEURON]) == 0
    out = screen.getvalue()
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 2
    assert out.count(commands.STEP_PROMPT) == 2
    assert "df/dx" not in out  # quit before the end


def test_on_a_terminal_a_shows_all_and_the_ending(monkeypatch):
    screen = Screen()
    monkeypatch.setattr(sys, "stdin", Keyboard("a\n"))
    monkeypatch.setattr(sys, "stdout", screen)
    assert cli.main(["step", "--forward", *NEURON]) == 0
    out = screen.getvalue()
    assert out.count(commands.STEP_PROMPT) == 1
    assert len(step_lines(out.replace(commands.STEP_PROMPT, "\n"))) == 3
    assert "df/dx" in out


@pytest.mark.parametrize("argv, words", [
    (["--wrt", "z"], "--wrt z: not a variable of the expression (its variables: x, w, b)"),
    (["--tangent", "q=1"], "--tangent q: not a variable"),
    (["--tangent", "x=abc"], "is not a number"),
    (["--tangent", "x"], "expected NAME=VALUE"),
    (["--wrt", "x", "--tangent", "x=1"], "give --wrt or --tangent, not both"),
])
def test_bad_directions_are_one_line_exit_2(capsys, argv, words):
    assert cli.main(["step", "--forward", *NEURON, *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert words in one_error_line(err)


def test_direction_options_need_forward(capsys):
    assert cli.main(["step", *NEURON, "--wrt", "x"]) == 2
    assert "add --forward" in one_error_line(capsys.readouterr().err)


def test_a_constant_has_no_direction(capsys):
    assert cli.main(["step", "--forward", "2*3"]) == 2
    assert "no variables" in one_error_line(capsys.readouterr().err)


def test_reverse_step_is_unchanged(capsys):
    assert cli.main(["step", *NEURON]) == 0
    out = capsys.readouterr().out
    assert "backward pass: 3 steps" in out.splitlines()[0]
    assert ".dot" not in out


def test_help_shows_the_forward_options_and_examples():
    result = run("step", "--help")
    assert result.returncode == 0
    for text in ("--forward", "--wrt NAME", "--tangent NAME=VALUE",
                 'step --forward "x*y + y" x=3 y=-2 --wrt y'):
        assert text in result.stdout
    graph = run("graph", "--help").stdout
    assert "--forward" in graph and "--html fwd.html --forward --wrt b" in graph
    grad = run("grad", "--help").stdout
    assert "--paths NAME" in grad and "--paths a" in grad


def test_installed_command_steps_forward_through_a_pipe():
    result = run("step", "--forward", *NEURON, "--wrt", "w")
    assert result.returncode == 0 and result.stderr == ""
    label, value = ending(result.stdout)
    assert label == "df/dw" and value == pytest.approx(neuron_grads()["w"], rel=1e-12)


# --------------------------------------------------------------------------- grad --paths
def test_paths_sum_to_the_gradient_of_a_node_used_twice(capsys):
    # b = a + a; c = b * b: four paths of 2a each, a.grad == 8a
    assert cli.main(["grad", "(a + a) * (a + a)", "a=3", "--paths", "a"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "d/da   24.0" in out
    assert "df/da = 24.0 = the sum over the 4 paths from a to f" in out
    products = [float(line.rsplit("=", 1)[1]) for line in out.splitlines()
                if line.startswith("  a -[")]
    assert products == [6.0] * 4 and math.fsum(products) == 24.0
    assert "sum: 24.0 (agrees with reverse mode's 24.0)" in out


def test_paths_for_several_variables_in_json(capsys):
    assert cli.main(["grad", "x*y + y", "x=3", "y=-2", "--paths", "y", "--paths", "x",
                     "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["gradient"] == {"x": -2.0, "y": 4.0}
    assert list(data["paths"]) == ["y", "x"]
    y = data["paths"]["y"]
    assert y["count"] == 2 and y["agrees"] and y["sum"] == y["gradient"] == 4.0
    assert sorted(p["product"] for p in y["paths"]) == [1.0, 3.0]
    assert y["paths"][0]["nodes"][0] == "y" and y["paths"][0]["nodes"][-1] == "f"


def test_a_variable_with_no_effect_has_no_path(capsys):
    assert cli.main(["grad", "x*0 + y", "x=1", "y=2", "--paths", "x"]) == 0
    out = capsys.readouterr().out
    assert "df/dx = 0.0 = the sum over the path from x to f" in out


def test_too_many_paths_are_refused_cleanly_counting_not_listing(capsys, monkeypatch):
    # An expression is a tree (each use of x is its own leaf edge), so the expression
    # language's 2000-node cap keeps real input under PATH_LIMIT; a smaller limit shows
    # the refusal the command makes, by counting.
    monkeypatch.setattr(steps, "PATH_LIMIT", 10)
    listed = "+".join(["x"] * 10)
    assert cli.main(["grad", listed, "x=1", "--paths", "x"]) == 0
    assert "the sum over the 10 paths" in capsys.readouterr().out
    text = "(" + listed + ")*x"
    assert cli.main(["grad", text, "x=1", "--paths", "x"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    line = one_error_line(err)
    assert "--paths x: 11 paths lead from x to the output, more than 10" in line
    assert "counted, not listed" in line
    assert cli.main(["grad", text, "x=1"]) == 0  # the gradient alone is fine


def test_the_refusal_counts_without_listing(monkeypatch, capsys):
    listed = []
    real = steps.gradient_paths
    monkeypatch.setattr(steps, "gradient_paths", lambda *a, **k: listed.append(1) or real(*a, **k))
    monkeypatch.setattr(steps, "PATH_LIMIT", 3)
    assert cli.main(["grad", "x*x*x*x", "x=1.5", "--paths", "x"]) == 2
    assert listed == []  # refused from the count alone
    assert "4 paths" in one_error_line(capsys.readouterr().err)
    x = Value(1.0)
    t = x
    for _ in range(60):
        t = t * t
    assert steps.count_paths(t, x) == 2 ** 60  # counting is cheap where listing is not


def test_paths_of_an_unknown_variable(capsys):
    assert cli.main(["grad", "x*y", "x=1", "y=2", "--paths", "z"]) == 2
    assert "--paths z: not a variable" in one_error_line(capsys.readouterr().err)


def test_grad_without_paths_is_unchanged(capsys):
    assert cli.main(["grad", *NEURON]) == 0
    assert "paths" not in capsys.readouterr().out


# --------------------------------------------------------------------------- graph --forward
def test_graph_html_forward_writes_a_forward_page(tmp_path):
    page = tmp_path / "fwd.html"
    result = run("graph", *NEURON, "--html", str(page), "--forward", "--wrt", "w")
    if result.returncode == 1 and "Graphviz" in result.stderr:
        pytest.skip("no Graphviz renderer")
    assert result.returncode == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "forward mode of f (w.dot = 1.0)" in text
    data = json.loads(re.search(r'id="data">(.*?)</script>', text, re.S).group(1))
    assert data["mode"] == "forward" and data["field"] == "dot"
    assert [f["head"] for f in data["frames"]] == [
        "the seed", "t1 = x * w", "t2 = t1 + b", "f = tanh(t2)",
    ]
    assert float(data["frames"][-1]["grad"]) == pytest.approx(neuron_grads()["w"], rel=1e-3)


def test_graph_forward_needs_html(capsys):
    assert cli.main(["graph", *NEURON, "--forward"]) == 2
    assert "add --html PAGE.html" in one_error_line(capsys.readouterr().err)
    assert cli.main(["graph", *NEURON, "--tangent", "x=1"]) == 2
    assert "add --forward" in one_error_line(capsys.readouterr().err)

"""The ``grad`` and ``demo`` commands, help, version, errors and colour, run in-process."""

from __future__ import annotations

import io
import json
import math
import sys
import types

import pytest

from autograd_core import __version__, cli
from autograd_core.cli import commands
from autograd_core.cli.output import Style, align_numbers, wants_colour

NEURON = ["tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def central(f, point, name, h=1e-6):
    up = dict(point, **{name: point[name] + h})
    down = dict(point, **{name: point[name] - h})
    return (f(**up) - f(**down)) / (2 * h)


def second_central(f, point, a, b, h=1e-4):
    def at(da, db):
        p = dict(point)
        p[a] += da
        p[b] += db
        return f(**p)

    if a == b:
        return (at(h, 0) - 2 * f(**point) + at(-h, 0)) / (h * h)
    return (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)


# --------------------------------------------------------------------------- grad
def test_grad_prints_value_and_every_partial_aligned(capsys):
    code, out, err = run(capsys, "grad", *NEURON)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("tanh(x*w + b)") and "x = 2.0" in lines[0]
    labels = [line.split()[0] for line in lines[1:]]
    assert labels == ["value", "d/dx", "d/dw", "d/db"]
    # the numbers start in one column and their decimal points line up
    points = {line.index(".", len(line.split()[0]) + 1) for line in lines[1:]}
    assert len(points) == 1
    slope = 1 - math.tanh(2.0 * -3.0 + 6.8813735870195432) ** 2
    numbers = [float(line.split()[1]) for line in lines[1:]]
    expected = [math.tanh(0.8813735870195432), -3.0 * slope, 2.0 * slope, slope]
    for got, want in zip(numbers, expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-12)
    assert "\033[" not in out  # not a terminal: no colour


def test_grad_json_matches_finite_differences(capsys):
    def f(x, y):
        return math.sin(x) * math.exp(y / 2) + x**3 / (1 + y * y)

    point = {"x": 0.7, "y": -1.3}
    data = run_json(capsys, "grad", "sin(x) * exp(y/2) + x**3 / (1 + y*y)", "x=0.7", "y=-1.3")
    assert data["expression"] == "sin(x) * exp(y/2) + x**3 / (1 + y*y)"
    assert data["variables"] == point
    assert math.isclose(data["value"], f(**point), rel_tol=1e-12)
    assert list(data["gradient"]) == ["x", "y"]
    for name in point:
        assert math.isclose(data["gradient"][name], central(f, point, name), rel_tol=1e-7)
    assert "hessian" not in data


def test_grad_second_derivatives_match_finite_differences(capsys):
    def f(x, w, b):
        return math.tanh(x * w + b) + x * x * math.log(w * w + 1)

    point = {"x": 0.4, "w": -1.1, "b": 0.3}
    data = run_json(capsys, "grad", "tanh(x*w + b) + x*x*log(w*w + 1)", "x=0.4", "w=-1.1",
                    "b=0.3", "--second")
    hessian = data["hessian"]
    assert list(hessian) == ["x", "w", "b"]
    for a in point:
        for b in point:
            want = second_central(f, point, a, b)
            assert math.isclose(hessian[a][b], want, rel_tol=1e-5, abs_tol=1e-6), (a, b)


def test_grad_second_in_text_lists_each_pair_once(capsys):
    code, out, _ = run(capsys, "grad", "x**2 * y", "x=3", "y=2", "--second")
    assert code == 0
    rows = {line.split()[0] if "d2/" not in line else line.rsplit(None, 1)[0].strip():
            float(line.split()[-1]) for line in out.splitlines()[1:]}
    assert rows == {"value": 18.0, "d/dx": 12.0, "d/dy": 9.0, "d2/dx2": 4.0,
                    "d2/dx dy": 6.0, "d2/dy2": 0.0}


def test_grad_with_no_variables(capsys):
    code, out, _ = run(capsys, "grad", "2 ** 10")
    assert code == 0
    assert out.splitlines()[1].split() == ["value", "1024.0"]
    assert run_json(capsys, "grad", "1 + 1", "--second")["hessian"] == {}


def test_grad_json_writes_inf_and_nan_as_strings(capsys):
    data = run_json(capsys, "grad", "exp(x)", "x=1000")
    assert data["value"] == "inf" and data["gradient"]["x"] == "inf"


def test_options_may_come_anywhere_and_expressions_may_start_with_minus(capsys):
    a = run_json(capsys, "grad", "-x**2", "x=3")
    results = [a]
    for argv in (["--json", "--", "-x**2", "x=3"], ["--json", "-x**2", "x=3"],
                 ["-x**2", "--json", "x=3"]):
        code, out, err = run(capsys, "grad", *argv)
        assert code == 0, err
        results.append(json.loads(out))
    assert all(r == a for r in results)
    assert a["gradient"]["x"] == -6.0


def test_vars_file_and_command_line_values(capsys, tmp_path):
    path = tmp_path / "point.json"
    path.write_text('{"x": 2, "y": 5}', encoding="utf-8")
    data = run_json(capsys, "grad", "x * y", "--vars", str(path), "y=-1")
    assert data["variables"] == {"x": 2.0, "y": -1.0}  # the command line wins
    assert data["gradient"] == {"x": -1.0, "y": 2.0}


# --------------------------------------------------------------------------- user errors
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["grad", "x +* y", "x=1", "y=1"], "syntax error at column 4"),
        (["grad", "foo(x)", "x=1"], "unknown function 'foo'"),
        (["grad", "x + y", "x=1"], "undefined variable 'y'"),
        (["grad", "x", "x=1", "y=2"], "unused variable 'y'"),
        (["grad", "x", "x=abc"], "'abc' is not a number"),
        (["grad", "log(x)", "x=-1"], "log(x) needs x > 0, got x = -1.0"),
        (["grad", "1/x", "x=0"], "division by zero"),
        (["grad", "x.real", "x=1"], "attribute access"),
        (["grad", "x", "x=1", "--vars", "/nonexistent/vars.json"], "no such file"),
        (["grad", "9**9**9"], "exponent 387420489 is too large"),
        (["grad", "(" * 100_000 + "x" + ")" * 100_000, "x=1"], "too long"),
        (["grad", "(" * 3000 + "x" + ")" * 3000, "x=1"], "nests too deeply"),
        (["grad"], "required: EXPR"),
        (["grad", "x", "x=1", "--bogus"], "unrecognized arguments: --bogus"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert fragment in err
    first, *rest = err.splitlines()
    assert first.startswith("autograd-core: error: ")
    assert "Traceback" not in err
    if "syntax error" in fragment:  # the expression, then a caret under the mistake
        assert len(rest) == 2 and rest[1].strip() == "^"
        assert rest[0][rest[1].index("^")] == "*"
    else:
        assert rest == []


def test_no_arguments_prints_help_and_exits_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "COMMAND" in err and "grad" in err


def test_internal_failures_exit_1_without_a_traceback(capsys, monkeypatch):
    def broken(args):
        raise RuntimeError("simulated\nbug")

    monkeypatch.setitem(cli._HANDLERS, "grad", broken)
    code, _, err = run(capsys, "grad", "x", "x=1")
    assert code == 1
    assert err.count("\n") == 1 and "internal error: RuntimeError: simulated bug" in err
    assert "Traceback" not in err


def test_ctrl_c_exits_130_quietly(capsys, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli._HANDLERS, "grad", interrupted)
    code, _, err = run(capsys, "grad", "x", "x=1")
    assert code == 130 and "Traceback" not in err


# --------------------------------------------------------------------------- help and version
def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"autograd-core {__version__}"


def test_top_level_help_lists_commands_with_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in cli._available_commands():
        assert f"  {command} " in out
        assert f"autograd-core {command}" in out.split("examples:")[1]


@pytest.mark.parametrize("command", ["grad", "graph", "step"])
def test_every_command_help_has_an_example(capsys, command):
    if command not in cli._available_commands():
        pytest.skip(f"{command} is not available in this checkout")
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    examples = out.split("examples:")[1]
    assert f"autograd-core {command} " in examples


@pytest.fixture
def no_network_demo(monkeypatch):
    """As if nn.demo did not exist."""
    monkeypatch.setitem(sys.modules, "nn.demo", None)
    # `from nn import demo` finds the attribute first if another test imported nn.demo
    monkeypatch.delattr(sys.modules.get("nn"), "demo", raising=False)


def test_demo_help_without_the_network_demo_has_an_example(capsys, no_network_demo):
    code, out, _ = run(capsys, "demo", "--help")
    assert code == 0 and "autograd-core demo" in out
    assert "one neuron" in out  # the engine demo's own help


# --------------------------------------------------------------------------- demo
def test_demo_forwards_its_arguments_to_the_network_demo(capsys, monkeypatch):
    seen = []
    fake = types.ModuleType("nn.demo")

    def fake_main(argv):
        seen.append(argv)
        print("network demo ran")
        return 0

    fake.main = fake_main
    monkeypatch.setitem(sys.modules, "nn.demo", fake)
    import nn

    monkeypatch.setattr(nn, "demo", fake, raising=False)
    code, out, _ = run(capsys, "demo", "--epochs", "3", "--out", "x")
    assert code == 0 and out == "network demo ran\n"
    assert seen == [["--epochs", "3", "--out", "x"]]


def test_demo_passes_on_the_network_demo_exit_status(capsys, monkeypatch):
    fake = types.ModuleType("nn.demo")
    fake.main = lambda argv: 3
    monkeypatch.setitem(sys.modules, "nn.demo", fake)
    import nn

    monkeypatch.setattr(nn, "demo", fake, raising=False)
    assert run(capsys, "demo")[0] == 3


def test_demo_falls_back_to_the_engine_demo(capsys, no_network_demo):
    code, out, err = run(capsys, "demo")
    assert code == 0 and err == ""
    assert "tanh(x*w + b)" in out
    rows = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()[2:]}
    assert math.isclose(rows["d/dx"], -1.5, rel_tol=1e-9)
    assert math.isclose(rows["d/dw"], 1.0, rel_tol=1e-9)
    assert math.isclose(rows["d/db"], 0.5, rel_tol=1e-9)
    code, _, err = run(capsys, "demo", "--epochs", "3")
    assert code == 2 and err.count("\n") == 1


# --------------------------------------------------------------------------- colour
class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wants_colour(FakeTerminal())
    assert not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "")
    assert not wants_colour(FakeTerminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_colour(FakeTerminal())


def test_grad_output_is_coloured_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli.main(["grad", "x*x", "x=3"]) == 0
    assert "\033[" in terminal.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", plain)
    assert cli.main(["grad", "x*x", "x=3"]) == 0
    assert "\033[" not in plain.getvalue() and "6.0" in plain.getvalue()


def test_style_and_alignment_helpers():
    assert Style(True).red("e") == "\033[1;31me\033[0m"
    assert Style(False).bold("e") == "e"
    aligned = align_numbers(["1.5", "-100.25", "1e-05", "nan"])
    assert len({a.index(".") for a in aligned if "." in a}) == 1


def test_bound_arguments_label_leaves_with_variable_names():
    args = types.SimpleNamespace(expression="x*w + b", assignments=["x=1", "w=2", "b=3"],
                                 vars=None)
    bound = commands.bind_arguments(args)
    assert [leaf.label for leaf in bound.leaves] == ["x", "w", "b"]
    assert bound.output.data == 5.0


def _help_examples():
    return [(command, example) for command, examples in cli.EXAMPLES.items()
            if command != "demo" for example, _ in examples]


@pytest.mark.parametrize(("command", "example"), _help_examples())
def test_every_help_example_runs(capsys, monkeypatch, tmp_path, command, example):
    import shlex

    if command not in cli._available_commands():
        pytest.skip(f"{command} is not available in this checkout")
    if ".svg" in example or "--html" in example:
        from viz.render import renderer

        if not renderer():
            pytest.skip("no Graphviz renderer installed")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "point.json").write_text('{"x": 2, "y": 3}', encoding="utf-8")
    argv = shlex.split(example.split("|")[0])
    assert argv[0] == "autograd-core"
    code, _, err = run(capsys, *argv[1:])
    assert code == 0, err


def test_a_derivative_outside_its_domain_is_a_user_error(capsys):
    from autograd_core import DomainError, primitive

    def slope(x, out):
        if float(x) == 0:
            raise DomainError("cli_test_cusp'(x) is undefined at x = 0")
        return 1.5 * abs(x) ** 0.5 * (1 if float(x) > 0 else -1)

    primitive("cli_test_cusp", lambda x: abs(x) ** 1.5, slope)
    code, _, err = run(capsys, "grad", "cli_test_cusp(x)", "x=0")
    assert code == 2
    assert "the derivative is undefined at this point" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "grad", "cli_test_cusp(x)", "x=4", "--json")
    assert code == 0 and json.loads(out)["gradient"]["x"] == 3.0

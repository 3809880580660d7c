"""Fuzzing the command line: random text never gives a traceback, and random valid
expressions give the gradients of the Python API (and of central differences)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import DomainError, Value, cli
from autograd_core.cli.expr import ExprError, parse
from autograd_core.ops import add, div, mul, power, sub

FAST = settings(deadline=1000, suppress_health_check=[HealthCheck.too_slow])


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO("")  # "-" reads the expression from standard input
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def run_subprocess(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(*argv, cwd=cwd, timeout=60)


# --------------------------------------------------------------------------- random text
TOKENS = [
    "x", "y", "z", "w1", "_", "é", "0", "1", "2.5", "1e3", "1e999", ".", "e", "j",
    "+", "-", "*", "/", "**", "//", "%", "@", "~", "^", "&", "|", "<", "==", "=", ":=",
    "(", ")", "[", "]", "{", "}", ",", ":", ";", " ", "\t", "\n", "'", '"', "#", "\\",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs", "sum", "dot",
    "foo", "lambda", "not", "and", "if", "else", "for", "in", "import", "True", "None",
    "__import__", "os", "system", "__class__", "...", "*args", "**kw", "\x00", "\x1b",
]
random_text = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(TOKENS), max_size=60).map("".join),
)


def assignments_for(text: str) -> list[str]:
    try:
        names = parse(text).variables
    except ExprError:
        names = ("x", "y")
    return [f"{name}=0.5" for name in names]


@FAST
@given(random_text)
def test_random_text_never_gives_a_traceback(text):
    try:
        parse(text)
    except ExprError as exc:
        assert "\n" not in str(exc)
    code, out, err = run_in_process(["grad", "--", text, *assignments_for(text)])
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert out == ""
        assert err.startswith("autograd-core: error: ")
        assert len(err.splitlines()) in (1, 3)  # one line, or syntax error + caret
    else:
        assert err == ""


@settings(max_examples=4, deadline=None)
@given(st.lists(st.sampled_from([t for t in TOKENS if t != "\x00"]), min_size=1,
                max_size=40).map("".join))
def test_random_text_through_the_console_script(tmp_path_factory, text):
    result = run_subprocess(["grad", "--", text, *assignments_for(text)],
                            cwd=tmp_path_factory.getbasetemp())
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- random valid
FUNCTIONS = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs"]
BINARY = ["+", "-", "*", "/", "**"]
NAMES = ["x", "y", "z"]

variables = st.sampled_from(NAMES).map(lambda n: ("var", n))
leaves = st.one_of(
    variables,
    variables,  # twice: variables are the interesting leaves
    st.sampled_from([0.5, 1, 2, 3, 0.25, 1.5]).map(lambda c: ("const", c)),
)


def _extend(children):
    return st.one_of(
        children.map(lambda t: ("neg", t)),
        st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda p: ("fn", *p)),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda p: ("bin", *p)),
        st.tuples(children, st.sampled_from([2, 3, 0.5])).map(
            lambda p: ("bin", "**", p[0], ("const", p[1]))
        ),
    )


small_trees = st.recursive(leaves, _extend, max_leaves=8)


def _joined(op, left, right):
    return ("bin", op, left, right)


def _with(name):
    """A small tree that mentions ``name``."""
    return st.builds(_joined, st.sampled_from(["+", "*", "-"]), small_trees, st.just(("var", name)))


# Two subtrees in different variables joined at the root: mixed second derivatives to check.
trees = st.one_of(
    small_trees,
    st.builds(_joined, st.sampled_from(BINARY), _with("x"), _with("y")),
    st.builds(_joined, st.sampled_from(["*", "/"]), _with("y"), _with("z")),
)


def render(tree) -> str:
    kind = tree[0]
    if kind == "var":
        return tree[1]
    if kind == "const":
        return repr(tree[1])
    if kind == "neg":
        return f"(-{render(tree[1])})"
    if kind == "fn":
        return f"{tree[1]}({render(tree[2])})"
    return f"({render(tree[2])} {tree[1]} {render(tree[3])})"


def build_api(tree, env):
    """The same expression written with the Python API: operators and methods on Values."""
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return float(tree[1])
    if kind == "neg":
        return -build_api(tree[1], env)
    if kind == "fn":
        a = build_api(tree[2], env)
        if tree[1] == "abs":
            return abs(a) if isinstance(a, Value) else ag.absolute(a)
        if isinstance(a, Value):
            return getattr(a, tree[1])()
        return getattr(ag, tree[1])(a)
    a, b = build_api(tree[2], env), build_api(tree[3], env)
    if isinstance(a, Value) or isinstance(b, Value):
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "**": lambda: a ** b}[tree[1]]()
    return {"+": add, "-": sub, "*": mul, "/": div, "**": power}[tree[1]](a, b)


def plain(tree, env):
    """The expression on floats with the math module: the finite-difference oracle."""
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return float(tree[1])
    if kind == "neg":
        return -plain(tree[1], env)
    if kind == "fn":
        a = plain(tree[2], env)
        name = tree[1]
        if name == "sigmoid":
            return 1 / (1 + math.exp(-a))
        if name == "relu":
            return max(a, 0.0)
        if name == "abs":
            return abs(a)
        return getattr(math, name)(a)
    a, b = plain(tree[2], env), plain(tree[3], env)
    return {"+": a + b, "-": a - b, "*": a * b}[tree[1]] if tree[1] in "+-*" else (
        a / b if tree[1] == "/" else a ** b
    )


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


points = st.fixed_dictionaries(
    {name: st.floats(-2.0, 2.0).map(lambda v: round(v, 3)) for name in NAMES}
)


@FAST
@given(trees, points)
def test_printed_gradients_agree_with_the_python_api(tree, point):
    text = render(tree)
    used = parse(text).variables
    argv = ["grad", "--json", "--", text, *(f"{n}={point[n]!r}" for n in used)]
    code, out, err = run_in_process(argv)

    env = {name: Value(point[name], label=name) for name in used}
    try:
        y = build_api(tree, env)
    except DomainError:
        assert code == 2 and err.startswith("autograd-core: error: "), (text, out, err)
        return
    assert code == 0, (text, err)
    data = json.loads(out)
    value = y.data if isinstance(y, Value) else y
    assert same(float(data["value"]), value), text
    assert list(data["gradient"]) == list(used)
    if isinstance(y, Value):
        y.backward()
    for name in used:
        printed = float(data["gradient"][name])
        assert same(printed, env[name].grad), (text, name)
        check_against_central_differences(tree, point, name, printed)


def zero_base_power(tree, env) -> bool:
    """True when some ``a ** b`` with a variable exponent has ``a == 0`` at this point.

    There the engine follows PyTorch's convention (``d/db 0**b`` is 0 for ``b >= 0``), not
    the limit that finite differences see (``0**b ln 0``), so they are no oracle.
    """
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "bin":
            if node[1] == "**" and node[3][0] != "const":
                try:
                    if plain(node[2], env) == 0:
                        return True
                except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                    return True
            stack.extend(node[2:])
        elif node[0] == "fn":
            stack.append(node[2])
        elif node[0] == "neg":
            stack.append(node[1])
    return False


def check_against_central_differences(tree, point, name, printed):
    """Compare with central differences where the function is smooth at this point."""
    if not math.isfinite(printed) or abs(printed) > 1e6:
        return
    if zero_base_power(tree, point):
        return
    h = 1e-6
    try:
        at = plain(tree, point)
        up = plain(tree, dict(point, **{name: point[name] + h}))
        down = plain(tree, dict(point, **{name: point[name] - h}))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return  # a domain edge within h: no oracle here
    if not all(isinstance(v, float) and math.isfinite(v) for v in (at, up, down)):
        return
    forward, backward = (up - at) / h, (at - down) / h
    if not math.isclose(forward, backward, rel_tol=1e-3, abs_tol=1e-3):
        return  # a kink (relu, abs) at this point: the one-sided slopes differ
    assert math.isclose(printed, (up - down) / (2 * h), rel_tol=1e-4, abs_tol=1e-5), (
        render(tree), name,
    )


def engine_slope_and_curvature(tree, point, used, a, b, shift=0.0):
    """d y/d a and d2 y/d a d b from the Python API, with ``b`` moved by ``shift``."""
    env = {n: Value(point[n] + (shift if n == b else 0.0)) for n in used}
    y = build_api(tree, env)
    if not isinstance(y, Value):
        return 0.0, 0.0
    (slope,) = ag.gradients(y, [env[a]], create_graph=True)
    if not isinstance(slope, Value):
        return slope, 0.0
    return slope.data, ag.gradients(slope, [env[b]])[0]


@FAST
@given(trees, points)
def test_second_derivatives_match_differences_of_the_gradient(tree, point):
    text = render(tree)
    used = parse(text).variables
    code, out, err = run_in_process(
        ["grad", "--json", "--second", "--", text, *(f"{n}={point[n]!r}" for n in used)]
    )
    assert code in (0, 2), err
    if code == 2:
        return
    hessian = json.loads(out)["hessian"]
    assert list(hessian) == list(used)
    h = 1e-5
    for a in used:
        for b in used:
            got = float(hessian[a][b])
            try:
                above = engine_slope_and_curvature(tree, point, used, a, b, h)
                below = engine_slope_and_curvature(tree, point, used, a, b, -h)
            except DomainError:
                continue  # a domain edge within h
            numbers = [got, *above, *below]
            if not all(map(math.isfinite, numbers)) or max(map(abs, numbers)) > 1e5:
                continue
            if not all(math.isclose(got, c, rel_tol=1e-2, abs_tol=1e-2)
                       for c in (above[1], below[1])):
                continue  # the second derivative jumps here (a kink's convention)
            if abs(above[0] - below[0]) > 1e-2:
                continue  # the first derivative jumps (abs at 0) or is too steep to tell
            estimate = (above[0] - below[0]) / (2 * h)
            try:
                near_above = engine_slope_and_curvature(tree, point, used, a, b, h / 10)
                near_below = engine_slope_and_curvature(tree, point, used, a, b, -h / 10)
            except DomainError:
                continue
            near = (near_above[0] - near_below[0]) / (2 * h / 10)
            if not math.isclose(estimate, near, rel_tol=1e-2, abs_tol=1e-2):
                continue  # a small jump (relu(y) * 0.008 at y = 0): it grows as h shrinks
            assert math.isclose(got, estimate, rel_tol=1e-4, abs_tol=1e-4), (
                text, a, b, got, estimate,
            )


@FAST
@given(trees, points)
def test_step_and_graph_handle_random_expressions(tree, point):
    text = render(tree)
    used = parse(text).variables
    values = [f"{n}={point[n]!r}" for n in used]
    env = {name: Value(point[name], label=name) for name in used}
    try:
        y = build_api(tree, env)
    except DomainError:
        y = None
    available = cli._available_commands()
    if "step" in available:
        code, out, err = run_in_process(["step", "--", text, *values])
        if y is None:
            assert code == 2 and err.count("\n") == 1
        else:
            assert code == 0, err
            if isinstance(y, Value):
                y.backward()
            root = out.split()[0]  # "f", or the variable when the expression is one
            prefix = f"d{root}/d"
            printed = {line.split()[0][len(prefix):]: float(line.split()[1])
                       for line in out.splitlines() if line.startswith(prefix)}
            assert printed == pytest.approx(
                {name: env[name].grad for name in used}, rel=1e-12, abs=1e-300, nan_ok=True
            )
    if "graph" in available:
        code, out, err = run_in_process(["graph", "--", text, *values])
        assert code == (2 if y is None else 0), err
        assert "Traceback" not in err
        if y is not None:
            assert out.startswith("digraph")

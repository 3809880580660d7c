"""autograd_core.testing: the strategies keep their promises, and the README example runs."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find, given, settings

from autograd_core import (
    GradcheckError,
    Op,
    Value,
    elu,
    gradcheck,
    gradgradcheck,
    log,
    ops,
    primitive,
    registered_ops,
    relu,
    sqrt,
    tanh,
    topological_order,
)
from autograd_core.testing import (
    Expression,
    assert_gradients_close,
    default_ops,
    expressions,
    inputs_for,
    is_smooth_at,
    reals,
    values,
)

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = [op for op in vars(ops).values() if isinstance(op, Op)]


# ---------------------------------------------------------------- reals, values, inputs_for
@given(reals(-2.5, 7.0))
def test_reals_are_finite_and_in_range(x):
    assert type(x) is float and math.isfinite(x) and -2.5 <= x <= 7.0


@given(reals(-10, 10, domain=log))
def test_reals_in_an_op_domain_keep_a_margin(x):
    assert x >= 1e-3 and is_smooth_at(log, [x])
    log(x - 1e-6)  # finite differences stay inside the domain


@given(reals(-10, 10, domain=lambda x: abs(x) > 1, margin=0.5))
def test_reals_with_a_predicate(x):
    assert abs(x) > 1.5 - 1e-12


@given(values(-1, 1, label="w"))
def test_values_are_labelled_leaves(v):
    assert isinstance(v, Value) and v.is_leaf and v.label == "w" and -1 <= v.data <= 1


@pytest.mark.parametrize("op", [ops.power, ops.div, ops._dot, relu, sqrt],
                         ids=lambda op: op.name)
def test_inputs_for_are_smooth_points(op):
    @given(inputs_for(op, -5, 5))
    @settings(max_examples=30)
    def check(xs):
        assert is_smooth_at(op, xs)
        if op.arity is not None:
            assert len(xs) == op.arity
        assert gradcheck(op, *xs)

    check()


def test_is_smooth_at_edges_kinks_and_poles():
    assert not is_smooth_at(sqrt, [0.0])
    assert not is_smooth_at(sqrt, [0.0005])
    assert is_smooth_at(sqrt, [0.5])
    assert not is_smooth_at(relu, [0.0])
    assert not is_smooth_at(relu, [-0.0009])
    assert is_smooth_at(relu, [-0.5])
    assert not is_smooth_at(ops.div, [1.0, 1e-100])  # pole
    assert not is_smooth_at(ops.div, [1.0, 0.0])
    assert not is_smooth_at(ops.power, [-2.0, 0.5])  # no real value
    assert not is_smooth_at(ops.power, [-2.0, 2.0])  # b +- margin leaves the domain
    assert is_smooth_at(ops.power, [2.0, -0.5])
    assert not is_smooth_at(ops.exp, [800.0])  # overflow
    assert is_smooth_at(relu, [0.0], margin=0)  # margin 0: only "defined here"


def test_strategy_arguments_are_checked():
    with pytest.raises(ValueError, match="larger than max_value"):
        reals(1, 0)
    with pytest.raises(ValueError, match="finite"):
        reals(-math.inf, 0)
    with pytest.raises(ValueError, match="margin"):
        reals(margin=-1)
    with pytest.raises(TypeError, match="Op or a predicate"):
        reals(domain="log")
    with pytest.raises(ValueError, match="use inputs_for"):
        reals(domain=ops.power)
    with pytest.raises(TypeError, match="label"):
        values(label=3)
    with pytest.raises(TypeError, match="needs an Op"):
        inputs_for(math.log)
    with pytest.raises(TypeError, match="Op objects"):
        expressions(ops=[math.sin])
    with pytest.raises(ValueError, match="ops is empty"):
        expressions(ops=[])
    with pytest.raises(ValueError, match="min_inputs"):
        expressions(min_inputs=3, max_inputs=2)
    with pytest.raises(ValueError, match="max_steps"):
        expressions(max_steps=0)
    with pytest.raises(TypeError, match="max_steps must be an int"):
        expressions(max_steps=2.5)
    with pytest.raises(ValueError, match="order"):
        assert_gradients_close(log, 1.0, order=3)


# ---------------------------------------------------------------- expressions
@given(expressions(ops=BUILTIN, min_inputs=1, max_inputs=3))
def test_expressions_build_inside_every_domain(e):
    assert isinstance(e, Expression)
    assert 1 <= len(e.inputs) <= 3
    assert all(-3 <= x <= 3 for x in e.inputs)
    out = e(*e.inputs)  # never raises a domain error
    assert isinstance(out, Value) and math.isfinite(out.data)
    assert abs(out.data) <= 1e4 * len(e.steps)
    # Plain numbers or Values, same result; leaves are the inputs given.
    leaves = [Value(x) for x in e.inputs]
    assert e(*leaves).data == out.data
    for node in topological_order(e(*leaves)):
        assert node.is_leaf or node.op in e.ops
    assert repr(e).startswith("Expression(x0=")


def _has_shared_node(e: Expression) -> bool:
    out = e(*e.inputs)
    uses: dict[Value, int] = {}
    for node in topological_order(out):
        for p in node.parents:
            uses[p] = uses.get(p, 0) + 1
    return any(n > 1 and not node.is_leaf for node, n in uses.items())


def _depth(e: Expression) -> int:
    depth: dict[Value, int] = {}
    for node in reversed(topological_order(e(*e.inputs))):
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    return max(depth.values())


def test_expressions_reach_shared_subexpressions_depth_and_every_op():
    strategy = expressions(ops=BUILTIN)
    assert _has_shared_node(find(strategy, _has_shared_node))
    assert _depth(find(strategy, lambda e: _depth(e) >= 6)) >= 6
    assert len(find(strategy, lambda e: len(e.inputs) == 3).inputs) == 3
    for op in BUILTIN:
        found = find(strategy, lambda e, name=op.name: name in e.ops)
        assert op.name in found.ops


def test_default_ops_include_custom_ops_and_powers():
    op = primitive("testing_cube", lambda x: x**3, lambda x, out: 3 * x * x)
    assert op in default_ops()
    assert registered_ops()["testing_cube"] is op
    assert ops.power_by(2.0) in default_ops()
    e = find(expressions(ops=[op, ops.add]), lambda e: "testing_cube" in e.ops)
    assert gradcheck(e, *e.inputs)


def test_expression_call_checks_arity():
    e = Expression(inputs=(1.0,), steps=((ops.exp, (0,)), (ops.mul, (1, 2.0))))
    assert e(0.0).data == 2.0
    assert e.ops == frozenset({"exp", "*"})
    assert "v1 = *(v0, 2.0)" in repr(e)
    with pytest.raises(TypeError, match="takes 1 input"):
        e(1.0, 2.0)


# ---------------------------------------------------------------- assert_gradients_close
def test_assert_gradients_close():
    assert_gradients_close(lambda x, y: (x * y).sin() + y.exp(), 0.4, -1.2)
    assert_gradients_close(lambda x: x.tanh(), 0.3, order=1)
    wrong = Op("wrong_tanh", math.tanh, [lambda x, out: 1 - out], arity=1)
    with pytest.raises(GradcheckError, match="wrong_tanh"):
        assert_gradients_close(wrong, 0.3)


# ---------------------------------------------------------------- no runtime dependency
def test_import_autograd_core_does_not_import_hypothesis():
    code = (
        "import sys, autograd_core\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n"
        "import autograd_core.testing\n"
        "assert 'hypothesis' in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- the README section
def readme_section(marker: str = "<!-- section: property-testing -->") -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(marker) == 1, f"README.md needs exactly one {marker}"
    start = text.index(marker) + len(marker)
    following = re.search(r"^<!-- section: ", text[start:], flags=re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def test_readme_section_code_runs(capsys):
    section = readme_section()
    assert section.lstrip().startswith("## Property-testing derivatives")
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"__name__": "readme_property_testing"}
    for block in blocks:
        # Not named README.md: tools that read source by line (Hypothesis) would read the
        # whole file at these line numbers.
        exec(compile(block, "<README.md property-testing block>", "exec"), namespace)
    # The example tests the README defines are real tests: run them.
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) >= 2
    for test in tests:
        test()
    # The error message shown in the README is the one gradcheck prints.
    printed = capsys.readouterr().out
    shown = re.search(r"```text\n(.*?)```", section, flags=re.DOTALL).group(1)
    assert printed.strip() == shown.strip()


@settings(max_examples=60, deadline=None)
@given(expressions(ops=[elu, tanh], min_value=-0.01, max_value=0.01))
def test_random_graphs_stay_off_kinks_of_the_derivative(e) -> None:
    # elu is smooth once but its second derivative jumps at 0: drawn this close to 0, a graph
    # that put an elu step on the kink would fail gradgradcheck.
    assert gradgradcheck(e, *e.inputs)

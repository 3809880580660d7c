"""Forward mode one node at a time (issue 14): forward_steps, Stepper(mode="forward"),
explain(mode="forward" / "both")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    Stepper,
    Value,
    explain,
    forward_steps,
    forward_tangents,
    gradients,
    jvp,
    sum_of,
)
from autograd_core.steps import FULL_LIMIT, TOP
from autograd_core.testing import expressions

direction = st.floats(-1, 1, allow_nan=False, allow_infinity=False)


@st.composite
def graphs(draw):
    e = draw(expressions(max_steps=10))
    v = [draw(direction) for _ in e.inputs]
    xs = [Value(x, f"x{i}") for i, x in enumerate(e.inputs)]
    return e, xs, e(*xs), v


@settings(max_examples=60)
@given(graphs())
def test_forward_steps_reproduce_forward_tangents_and_jvp_exactly(case) -> None:
    e, xs, root, v = case
    seeds = dict(zip(xs, v, strict=True))
    steps = list(forward_steps(root, seeds))
    found = forward_tangents(root, seeds)
    inner = [n for n in found if n._op is not None]
    assert [s.node for s in steps] == inner          # one step per node, inputs first
    for s in steps:
        assert s.tangent == found[s.node]            # same arithmetic, bit for bit
    assert steps[-1].node is root
    assert steps[-1].tangent == jvp(e, e.inputs, v)[1]
    position = {n: i for i, n in enumerate(found)}
    for s in steps:
        assert all(position[p] < position[s.node] for p in s.node.parents)


@settings(max_examples=30)
@given(graphs())
def test_op_counts_grow_by_the_terms_computed(case) -> None:
    _, xs, root, v = case
    steps = list(forward_steps(root, dict(zip(xs, v, strict=True))))
    multiplies = adds = 0
    for s in steps:
        done = sum(t.contribution is not None for t in s.terms)
        multiplies += done
        adds += max(0, done - 1)
        assert (s.multiplies, s.adds) == (multiplies, adds)


def test_a_forward_step_prints_the_chain_rule_with_numbers() -> None:
    x = Value(3.0, label="x")
    w = Value(-2.0, label="w")
    t = x * w
    y = t + x
    y.label = "y"
    lines = [str(s) for s in forward_steps(y, {x: 1.0})]
    assert lines == [
        "t1 = x * w: t1.dot = w * x.dot + x * w.dot = -2.0 * 1.0 + 3.0 * 0.0 = -2.0"
        "   [1 multiply, 0 adds so far]",
        "y = t1 + x: y.dot = 1 * t1.dot + 1 * x.dot = 1.0 * -2.0 + 1.0 * 1.0 = -1.0"
        "   [3 multiplies, 1 add so far]",
    ]


def test_a_node_that_does_not_move_says_so() -> None:
    x = Value(1.0, label="x")
    c = Value(2.0, label="c")
    k = c * c
    y = x * k
    text = [str(s) for s in forward_steps(y, {x: 1.0})]
    assert text[0] == ("t1 = c * c: t1.dot = 0.0 (no input depends on the seeded inputs)"
                       "   [0 multiplies, 0 adds so far]")
    assert text[1].endswith("= 4.0   [1 multiply, 0 adds so far]")


def test_forward_mode_costs_one_pass_per_input_reverse_one_per_output() -> None:
    # y = sum of x_i * w: three inputs. Forward needs three passes for the gradient
    # (one per input); each pass does the same number of multiplies as one reverse pass.
    xs = [Value(float(i), f"x{i}") for i in range(3)]
    w = Value(2.0, label="w")
    y = sum_of([x * w for x in xs])
    per_input = [list(forward_steps(y, {x: 1.0}))[-1] for x in xs]
    assert [s.tangent for s in per_input] == gradients(y, xs) == [2.0, 2.0, 2.0]
    assert [s.multiplies for s in per_input] == [2, 2, 2]  # one x_i * w, one into the sum
    everything = list(forward_steps(y, {**{x: 1.0 for x in xs}, w: 1.0}))[-1]
    assert everything.multiplies == 3 * 2 + 3                # every edge carries a tangent


def test_large_fan_in_is_summarised_like_reverse_steps() -> None:
    xs = [Value(float(i), f"x{i}") for i in range(40)]
    y = sum_of(xs)
    y.label = "y"
    seeds = {x: float(i) for i, x in enumerate(xs)}
    (step,) = list(forward_steps(y, seeds))
    assert step.summarised and len(step.terms) > FULL_LIMIT
    text = str(step)
    assert text.count(".dot") == 1 + TOP
    assert f"... {40 - TOP} more terms, none larger" in text
    assert "1 * x39.dot" in text and "1 * x0.dot" not in text      # the largest first
    assert step.full_text().count(".dot") == 41
    assert step.tangent == sum(range(40))


def test_stepper_in_forward_mode() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c.tanh()
    d.label = "d"
    a.grad = 5.0
    s = Stepper(d, mode="forward", tangents={a: 1.0})
    assert repr(s) == "<Stepper (forward): 0 of 2 steps taken; next: c = a * b>"
    first = s.next()
    assert first.name == "c" and first.tangent == -3.0 and s.current is first
    assert s.tangents[c] == -3.0 and not s.done
    rest = s.rest()
    assert len(rest) == 1 and s.done and s.next() is None
    assert repr(s) == "<Stepper (forward): all 2 steps taken>"
    assert s.tangents[d] == pytest.approx(-3.0 * (1 - math.tanh(-6.0) ** 2))
    assert a.grad == 5.0 and d.grad == 0.0                # .grad untouched
    assert 'title="forward mode of d"' in s._repr_html_()  # the page steps forward too


def test_forward_mode_needs_tangents_and_names_the_inputs() -> None:
    a = Value(2.0, label="a")
    b = Value(1.0, label="b")
    y = a * b
    named = r"tangents=\{x: 1.0\}.*inputs of this graph are: (a, b|b, a)$"
    with pytest.raises(TypeError, match=named):
        Stepper(y, mode="forward")
    with pytest.raises(TypeError, match="inputs of this graph"):
        forward_steps(y)
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        Stepper(y, mode="sideways")
    with pytest.raises(TypeError, match="takes tangents=, not grad"):
        Stepper(y, 2.0, mode="forward", tangents={a: 1.0})
    with pytest.raises(TypeError, match="tangents= is for mode='forward'"):
        Stepper(y, tangents={a: 1.0})
    with pytest.raises(TypeError, match="keys must be Values"):
        Stepper(y, mode="forward", tangents={"a": 1.0})


def test_explain_both_shows_the_tangent_beside_the_gradient() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    c = b * b
    c.label = "c"
    table = explain(c, "both", tangents={a: 1.0})
    assert str(table) == "\n".join([
        "node  computed as  data  grad  tangent  local derivatives",
        "----  -----------  ----  ----  -------  -----------------",
        "c     b * b        36.0   1.0     24.0  d/db = b = 6.0, d/db = b = 6.0",
        "b     a + a         6.0  12.0      2.0  d/da = 1.0, d/da = 1.0",
        "a     leaf          3.0  24.0      1.0",
    ])
    assert a.grad == 0.0 and c.grad == 0.0     # computed afresh, .grad untouched
    forward_only = str(explain(c, "forward", tangents={a: 1.0}))
    assert forward_only.splitlines()[0] == "node  computed as  data  tangent  local derivatives"
    assert "<th>grad</th><th>tangent</th>" in table._repr_html_()


@settings(max_examples=30)
@given(graphs())
def test_explain_both_meets_in_the_middle(case) -> None:
    _, xs, root, _ = case
    names = [row[0] for row in explain(root).rows]
    moving = next((i for i in range(len(xs)) if f"x{i}" in names), None)
    assert moving is not None   # every node of an expression depends on some input
    table = explain(root, "both", tangents={xs[moving]: 1.0})
    root_tangent = table.tangents[0]
    x_grad = table.rows[names.index(f"x{moving}")][3]
    assert math.isclose(root_tangent, x_grad, rel_tol=1e-9, abs_tol=1e-9 * (1 + abs(x_grad)))


def test_explain_reverse_mode_is_unchanged_and_refuses_tangents() -> None:
    x = Value(3.0, label="x")
    y = (x * x).log()
    y.label = "y"
    y.backward()
    assert str(explain(y)) == str(explain(y, "reverse")) == "\n".join([
        "node  computed as   data    grad  local derivatives",
        "----  -----------  -----  ------  -----------------",
        "y     log(t1)      2.197     1.0  d/dt1 = 1/t1 = 0.1111",
        "t1    x * x          9.0  0.1111  d/dx = x = 3.0, d/dx = x = 3.0",
        "x     leaf           3.0  0.6667",
    ])
    with pytest.raises(TypeError, match="tangents= is for mode='forward'"):
        explain(y, tangents={x: 1.0})
    with pytest.raises(ValueError, match="mode must be"):
        explain(y, "sideways")

"""The float tape: trace once, replay bit for bit what the interpreter gives."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    DivisionByZero,
    DomainError,
    Tape,
    TracerWarning,
    Value,
    dot,
    primitive,
    trace,
)
from autograd_core.testing import expressions


def interpreted(e, xs):
    leaves = [Value(x) for x in xs]
    out = e(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def bits(x: float) -> tuple[str, ...]:
    return (x.hex(),) if not math.isnan(x) else ("nan",)


@settings(max_examples=300, deadline=None)
@given(expressions(max_steps=10), st.data())
def test_replay_at_new_points_equals_the_interpreter_bit_for_bit(e, data):
    tape = trace(e, *e.inputs)
    # at the tracing point and at new points (the expression holds no branch on a number
    # except inside ops, so the tape is valid wherever the ops are defined)
    points = [e.inputs] + [
        tuple(x + data.draw(st.floats(-1e-4, 1e-4)) for x in e.inputs) for _ in range(2)
    ]
    for xs in points:
        try:
            want_value, want_grads = interpreted(e, xs)
        except (DomainError, ValueError):
            continue
        value, grads = tape.value_and_grad(*xs)
        assert bits(value) == bits(want_value)
        assert tape(*xs) == value or math.isnan(value)
        assert [bits(g) for g in grads] == [bits(g) for g in want_grads], tape.listing()


def test_shared_subexpressions_and_constants():
    def f(x, y):
        s = x * y
        return (s + s * 3.0).tanh() + dot([x, y], [s, 2.0], bias=0.5) + x * x

    tape = trace(f, 0.3, -0.7)
    assert tape.constants  # 3.0, 2.0, 0.5 kept as constants
    for xs in [(0.3, -0.7), (1.5, 0.25), (-2.0, 0.1)]:
        assert tape.value_and_grad(*xs) == interpreted(f, xs)


def test_output_that_is_an_argument_or_a_constant():
    tape = trace(lambda x, y: y, 1.0, 2.0)
    assert tape.value_and_grad(5.0, 6.0) == (6.0, [0.0, 1.0])
    tape = trace(lambda x: Value(4.0), 1.0)
    assert tape.value_and_grad(3.0) == (4.0, [0.0])


def test_replay_builds_no_values(monkeypatch):
    tape = trace(lambda x, y: (x * y).sin() + y.exp(), 0.5, 0.25)
    made = []
    original = Value.__init__
    monkeypatch.setattr(Value, "__init__", lambda self, *a, **k: (made.append(1),
                                                                  original(self, *a, **k))[1])
    tape.value_and_grad(0.1, 0.2)
    assert made == []


def test_params_become_arguments_after_the_positional_ones():
    w = Value(2.0)
    tape = trace(lambda x: x * w + w * w, 3.0, params=[w])
    value, grads = tape.value_and_grad(3.0, 5.0)
    assert value == 3.0 * 5.0 + 25.0
    assert grads == [5.0, 3.0 + 10.0]
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(1 traced, then 1 params\)"):
        tape(3.0)


def test_a_captured_value_not_in_params_is_a_frozen_constant():
    w = Value(2.0)
    tape = trace(lambda x: x * w, 3.0)
    w.data = 10.0
    assert tape.value_and_grad(3.0) == (6.0, [2.0])


def test_wrong_argument_count_and_kinds():
    tape = trace(lambda x, y: x + y, 1.0, 2.0)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\), got 1"):
        tape(1.0)
    with pytest.raises(TypeError, match=r"argument #1 is a list.*numpy\.asarray"):
        tape(1.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="argument #0 must be a real number"):
        tape("1", 2.0)
    with pytest.raises(TypeError, match="argument #1 must be a real number"):
        tape(1.0, True)
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="needs a function"):
        trace(3.0, 1.0)
    with pytest.raises(TypeError, match=r"params\[0\] must be a leaf Value"):
        trace(lambda x: x, 1.0, params=[Value(1.0) * 2])


def test_domain_errors_on_replay_name_the_op_and_the_step():
    tape = trace(lambda x, y: (x / y).log(), 1.0, 2.0)
    with pytest.raises(DomainError, match="log") as info:
        tape(-1.0, 2.0)
    assert "op 'log' at step 1" in "".join(info.value.__notes__)
    with pytest.raises(DivisionByZero):
        tape.value_and_grad(1.0, 0.0)


def test_a_broken_rule_of_a_users_op_is_named_on_replay():
    bad = primitive("tape_bad_rule", lambda x: 2 * x, lambda x, out: "two")
    tape = trace(lambda x: bad(x) + 1.0, 1.0)
    assert tape(2.0) == 5.0
    with pytest.raises(TypeError, match="tape_bad_rule"):
        tape.value_and_grad(2.0)


@pytest.mark.parametrize("branch", [
    lambda x: x * 2 if x > 0 else -x,
    lambda x: x * 2 if x >= 0.5 else -x,
    lambda x: x * 2 if bool(x) else -x,
    lambda x: x * float(x),
    lambda x: x * x.item(),
    lambda x: max(x, x * 0.5),
])
def test_reading_a_number_while_tracing_warns(branch):
    with pytest.warns(TracerWarning, match="specialised to these inputs"):
        tape = trace(branch, 1.0)
    assert isinstance(tape, Tape)


def test_the_warnings_are_gone_after_tracing_and_comparisons_still_work():
    with pytest.warns(TracerWarning):
        trace(lambda x: x * 2 if x > 0 else -x, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(2.0) > 1.0
        assert float(Value(2.0)) == 2.0
        assert bool(Value(0.0)) is True
        assert Value(3.0).item() == 3.0
    assert "__bool__" not in vars(Value)


def test_the_specialised_tape_replays_the_branch_taken():
    with pytest.warns(TracerWarning):
        tape = trace(lambda x: x * 2 if x > 0 else -x, 1.0)
    assert tape(-3.0) == -6.0  # the x > 0 branch, recorded at x = 1


def test_tracing_inside_no_grad_still_records():
    from autograd_core import no_grad

    with no_grad():
        tape = trace(lambda x: x * x, 3.0)
    assert tape.value_and_grad(4.0) == (16.0, [8.0])


def test_a_traced_nn_mlp_loss_replays_to_backwards_gradients():
    from nn import MLP

    model = MLP(2, [4, 4, 1], seed=0)
    params = list(model.parameters())

    def loss(x0, x1, y):
        return (1 + (-y) * model([x0, x1])).relu() + sum((p * p for p in params), Value(0.0))

    tape = trace(loss, 0.5, -0.2, 1.0, params=params)
    for x0, x1, y in [(0.5, -0.2, 1.0), (-1.0, 0.7, -1.0), (0.1, 0.1, 1.0)]:
        leaves = [Value(x0), Value(x1), Value(y)]
        for p in params:
            p.grad = 0.0
        out = loss(*leaves)
        out.backward()
        value, grads = tape.value_and_grad(x0, x1, y, *(p.data for p in params))
        assert value == out.data
        assert grads == [v.grad for v in leaves] + [p.grad for p in params]


def test_float_replay_needs_no_numpy():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from autograd_core import trace\n"
        "t = trace(lambda x, y: (x * y).tanh() + x.relu(), 0.5, 2.0)\n"
        "print(t.value_and_grad(1.0, 3.0))\n"
        "try:\n"
        "    t(1.0, [1.0])\n"
        "except TypeError as e: print('TypeError')\n"
        "assert 'numpy' not in sys.modules or sys.modules['numpy'] is None\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "TypeError" in out and out.startswith("(")


def test_importing_the_engine_does_not_import_numpy():
    code = "import sys, autograd_core, autograd_core.tape; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_newcomer_mistakes_get_messages_that_say_what_to_do():
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    with pytest.warns(UserWarning, match=r"13 labelled Value\(s\).*frozen.*params=model"):
        frozen = trace(lambda a, b: model([a, b]), 0.5, 1.0)
    assert len(frozen.value_and_grad(0.5, 1.0)[1]) == 2  # only the two inputs: documented
    with pytest.raises(TypeError, match=r"params must be a list of Values, e\.g\. model"):
        trace(lambda a: a * 2.0, 1.0, params=3)
    tape = trace(lambda a, b: model([a, b]), 0.5, 1.0, params=model.parameters())
    theta = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match=r"unpack a list of numbers with \*"):
        tape(0.5, 1.0, theta)
    with pytest.raises(TypeError, match="trace with has_aux=True"):
        trace(lambda a: (a * 2.0, [a]), 1.0)

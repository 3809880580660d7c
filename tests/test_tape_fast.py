"""The compiled float replay (autograd_core/tape_compile.py) against the tape interpreter and
``backward()``: bit for bit, the same errors, nothing of the user's in the source, bounded."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import DomainError, Value, dot, ops, primitive, sum_of, trace
from autograd_core import tape_compile as tc
from autograd_core.primitives import VARIADIC, Op
from autograd_core.testing import default_ops, expressions, inputs_for


def bits(x: float) -> str:
    return "nan" if math.isnan(x) else x.hex()


def outcome(run):
    """What a replay gives: ("ok", value bits, grad bits) or ("error", type, message, notes)."""
    try:
        value, grads = run()
    except Exception as exc:  # the comparison is the point
        return ("error", type(exc), str(exc), tuple(getattr(exc, "__notes__", ())))
    return ("ok", bits(value), tuple(bits(g) for g in grads))


def interpreter(tape, xs):
    """The tape interpreter's replay (Tape._forward / _backward), for comparison."""
    def run():
        slots = tape._forward(list(xs))
        return slots[tape.output], tape._backward(slots)

    return outcome(run)


def compiled(tape, xs):
    assert tape.compiled
    return outcome(lambda: tape.value_and_grad(*xs))


def interpreted_graph(f, xs):
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return ("ok", bits(out.data), tuple(bits(leaf.grad) for leaf in leaves))


SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e308, -1e-310, math.inf, -math.inf, math.nan]


# --------------------------------------------------------------------------- bit for bit
@settings(max_examples=300, deadline=None)
@given(expressions(max_steps=12, max_inputs=4), st.data())
def test_compiled_equals_the_interpreter_and_backward_on_random_expressions(e, data):
    tape = trace(e, *e.inputs)
    points = [e.inputs] + [
        tuple(data.draw(st.sampled_from(SPECIAL)) if data.draw(st.booleans()) else x
              for x in e.inputs)
        for _ in range(2)
    ]
    for xs in points:
        got = compiled(tape, xs)
        assert got == interpreter(tape, xs), tape.source()
        if xs == e.inputs:
            assert got == interpreted_graph(e, xs)


@pytest.mark.parametrize("op", default_ops(), ids=lambda op: op.name)
def test_every_registered_op_at_special_values_and_repeated_inputs(op):
    arity = 3 if op.kind == VARIADIC else op.arity
    points = list(itertools.product(SPECIAL, repeat=min(arity, 2)))
    if op.kind == VARIADIC:  # dot(w, x, b) with w and x the same input, b another
        def f(x, y):
            return op([x, y, x])
    elif arity == 2:
        def f(x, y):
            return op(x, y) * op(y, x) + op(x, x)
    else:
        def f(x):
            return op(op(x) * x) + op(x)
    tape = trace(f, *(2.0, 1.5)[: len(points[0])])
    for xs in points:
        assert compiled(tape, xs) == interpreter(tape, xs), (xs, tape.source())


@pytest.mark.parametrize("op", default_ops(), ids=lambda op: op.name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_registered_op_equals_backward_where_it_is_smooth(op, data):
    xs = data.draw(inputs_for(op, -5, 5, max_inputs=4))

    def f(*leaves):
        y = op(list(leaves)) if op.kind == VARIADIC else op(*leaves)
        return y * leaves[0] + y  # the result used twice, and an input used again

    tape = trace(f, *xs)
    assert compiled(tape, xs) == interpreted_graph(f, xs) == interpreter(tape, xs)


def test_a_gradient_starts_from_zero_as_the_interpreter_does():
    # d(x*y)/dx at y = -0.0 is 0.0 + 1.0 * -0.0 = +0.0 in the interpreter, not -0.0
    tape = trace(lambda x, y: x * y, 1.0, 1.0)
    value, grads = tape.value_and_grad(3.0, -0.0)
    assert bits(grads[0]) == bits(0.0) and bits(value) == bits(-0.0)
    assert compiled(tape, (3.0, -0.0)) == interpreter(tape, (3.0, -0.0))


def test_many_uses_of_one_value_and_long_dots_and_sums():
    n = 2000  # a sum over uses longer than a line, a dot and a sum of 2000 inputs

    def f(x, y):
        uses = [x * (i / n) for i in range(n)]
        return sum_of(uses) + dot(uses, [y] * n, bias=x) + sum(uses[:50], y)

    tape = trace(f, 0.3, -0.7)
    for xs in [(0.3, -0.7), (1.5, 2.0), (-1e300, 1e300)]:
        assert compiled(tape, xs) == interpreter(tape, xs) == interpreted_graph(f, xs)


def test_nan_and_inf_flow_through_as_in_the_interpreter():
    def f(x, y):
        return (x.exp() - y.exp()) * x.tanh() + (x * y).relu() + dot([x], [y]).sigmoid()

    tape = trace(f, 1.0, 2.0)
    for xs in [(1000.0, 1000.0), (math.inf, 1.0), (math.nan, 0.0), (-math.inf, math.inf)]:
        got = compiled(tape, xs)
        assert got == interpreter(tape, xs) == interpreted_graph(f, xs)
    assert "nan" in compiled(tape, (1000.0, 1000.0))[1]


def test_a_traced_mlp_loss_with_constant_data_equals_backward():
    from nn import MLP

    model = MLP(2, [8, 8, 1], seed=3)
    params = list(model.parameters())
    points = [(0.1 * i, -0.2 * i + 0.3) for i in range(12)]

    def loss():
        total = Value(0.0)
        for i, (a, b) in enumerate(points):
            total = total + (1 + (-1.0) ** i * model([Value(a), Value(b)])).relu()
        return total * (1 / len(points)) + sum_of([p * p for p in params]) * 1e-4

    tape = trace(loss, params=params)
    theta = [p.data + 0.01 for p in params]
    for p, t in zip(params, theta, strict=True):
        p.data, p.grad = t, 0.0
    out = loss()
    out.backward()
    value, grads = tape.value_and_grad(*theta)
    assert bits(value) == bits(out.data)
    assert [bits(g) for g in grads] == [bits(p.grad) for p in params]


# --------------------------------------------------------------------------- users' ops
def test_a_users_op_with_a_domain_check_raises_the_same_error_naming_the_step():
    def check(x):
        return DomainError(f"fast_root needs x >= 0, got {x!r}") if x < 0 else None

    root = primitive("fast_root", math.sqrt, lambda x, out: 0.5 / out, check=check)
    tape = trace(lambda x, y: root(x * y) + y, 1.0, 2.0)
    assert tape.compiled
    got = compiled(tape, (-1.0, 2.0))
    assert got == interpreter(tape, (-1.0, 2.0))
    assert got[1] is DomainError and "fast_root needs x >= 0, got -2.0" in got[2]
    assert got[3] == ("(replaying a tape: op 'fast_root' at step 1)",)
    with pytest.raises(DomainError, match="fast_root"):
        tape(-1.0, 2.0)  # the value-only replay too
    assert tape(4.0, 1.0) == 3.0


def test_a_check_that_returns_a_class_or_junk_is_reported_as_by_the_interpreter():
    as_class = primitive("fast_class_check", lambda x: x, 1.0,
                         check=lambda x: ValueError if x > 1 else None)
    junk = primitive("fast_junk_check", lambda x: x, 1.0, check=lambda x: "no" if x > 1 else None)
    for op in (as_class, junk):
        tape = trace(lambda x, op=op: op(x) * 2.0, 0.5)
        got = compiled(tape, (3.0,))
        assert got[0] == "error" and got == interpreter(tape, (3.0,))
        assert op.name in got[2]


def test_a_broken_rule_gets_the_interpreters_note_with_the_step():
    bad = primitive("fast_bad_rule", lambda x: 2 * x, lambda x, out: "two")
    bad_many = primitive("fast_bad_variadic", sum, lambda d, out: [1.0], variadic=True)
    bare = Op("fast_bare_variadic", sum, (lambda d, out: [1.0],), arity=None)
    for f in (lambda x: bad(x * x) + 1.0, lambda x: bad_many([x, x * 3.0]),
              lambda x: bare([x, x * 3.0]).tanh()):
        tape = trace(f, 1.0)
        got = compiled(tape, (2.0,))
        assert got[0] == "error" and got == interpreter(tape, (2.0,)), got
        assert any("tape step" in note for note in got[3])


def test_a_users_forward_returning_an_int_or_junk():
    as_int = primitive("fast_int_forward", lambda x: int(x), lambda x, out: 0.0)
    tape = trace(lambda x: as_int(x) + x, 2.5)
    assert compiled(tape, (3.5,)) == interpreter(tape, (3.5,)) == ("ok", bits(6.5), (bits(1.0),))
    assert type(tape(3.5)) is float
    junk = primitive("fast_junk_forward", lambda x: "x" if x > 1 else x, lambda x, out: 0.0)
    tape = trace(lambda x: junk(x) * x, 1.0)
    got = compiled(tape, (2.0,))
    assert got[0] == "error" and got[1] is TypeError and got == interpreter(tape, (2.0,))
    assert "fast_junk_forward" in got[2]


def test_an_op_changed_after_tracing_is_seen_as_by_the_interpreter(monkeypatch):
    tape = trace(lambda x: x.relu() * x + x.tanh(), 1.0)
    before = compiled(tape, (3.0,))
    monkeypatch.setattr(ops.relu, "rules", (lambda x, out: 2.0,))
    monkeypatch.setattr(ops.tanh, "forward", math.sin)
    after = compiled(tape, (3.0,))
    assert after == interpreter(tape, (3.0,)) != before
    assert after[1] == bits(9.0 + math.sin(3.0))


def test_constants_that_are_no_plain_float():
    c = Value(2.0)
    c.data = 3  # set by hand to an int: the interpreter computes with it as it is
    weird = [Value(math.inf), Value(math.nan), Value(-0.0), Value(5e-324), c]

    def f(x):
        return sum_of([x * w for w in weird]) + dot(weird, [x] * 5) + x * c

    tape = trace(f, 1.0)
    for xs in [(1.0,), (0.0,), (-2.0,)]:
        assert compiled(tape, xs) == interpreter(tape, xs)
    assert tape(1.0) == tape._forward([1.0])[tape.output] or math.isnan(tape(1.0))


# --------------------------------------------------------------------------- the source
def test_the_source_reads_as_the_chain_rule():
    tape = trace(lambda x, y: (x * y).relu() + x, 0.5, 2.0)
    assert tape.source() == (
        "def replay(args):\n"
        "    s0, s1 = args\n"
        "    s2 = s0 * s1\n"
        "    s3 = 0.0 if s2 <= 0 else s2\n"
        "    s4 = s3 + s0\n"
        "    g4 = 1.0\n"
        "    g3 = 0.0 + g4\n"
        "    g2 = 0.0 + g3 * (0.0 if s2 <= 0 else 1.0)\n"
        "    g0 = 0.0 + g4 + g2 * s1\n"  # the interpreter's order: the last use first

        "    g1 = 0.0 + g2 * s0\n"
        "    return s4, [], [g0, g1]\n"
    )
    assert "g" not in tape.source(grads=False).split("return")[0].replace("args", "")


def test_nothing_the_user_wrote_is_pasted_into_the_source():
    name = "evil'); import os; print('"
    evil = primitive(name, lambda x: x + 1.0, lambda x, out: 1.0 + 0.0 * x)
    tape = trace(lambda x: evil(x * 0.25) * math.inf + x * Value(0.1), 1.0)
    source = tape.source()
    assert name not in source and "import" not in source and "inf" not in source
    assert "0.25" in source and "0.1" in source  # floats that read back the same
    assert compiled(tape, (2.0,)) == interpreter(tape, (2.0,))


def test_an_op_that_was_changed_is_called_not_written_out(monkeypatch):
    tape = trace(lambda x: x.relu() * x, 1.0)
    assert "op0" not in tape.source()
    monkeypatch.setattr(ops.relu, "rules", (lambda x, out: 2.0,))
    tape = trace(lambda x: x.relu() * x, 1.0)
    assert "op0_d0" in tape.source()
    assert compiled(tape, (3.0,)) == interpreter(tape, (3.0,)) == ("ok", bits(9.0),
                                                                    (bits(9.0),))


def test_aux_values_and_the_value_only_replay_are_compiled_too():
    def f(x, y):
        z = x * y
        return z.tanh(), [z]

    tape = trace(f, 0.5, 2.0, has_aux=True)
    (value, aux), grads = tape.value_and_grad(1.0, 3.0)
    assert aux == [3.0] and value == math.tanh(3.0)
    assert tape(1.0, 3.0) == (value, aux)  # the first value-only replay: interpreted
    assert False not in tape._programs
    assert tape(1.0, 3.0) == (value, aux)
    assert tape._programs[False] is not None  # made on the second tape(*floats)
    assert ("ok", bits(value), tuple(map(bits, grads))) == interpreter(tape, (1.0, 3.0))


# --------------------------------------------------------------------------- bounded
def test_a_tape_above_the_size_limit_is_interpreted(monkeypatch):
    f = lambda x, y: dot([x, y, x], [y, y, 2.0]).tanh() * x  # noqa: E731
    small = trace(f, 0.5, 2.0, compile=True)  # compiled before the limit is lowered
    monkeypatch.setattr(tc, "MAX_TERMS", tc.count_terms(small.steps) - 1)
    big = trace(f, 0.5, 2.0)
    assert small.compiled and not big.compiled
    assert big._programs[True] is None
    for xs in [(0.5, 2.0), (-3.0, 0.25)]:
        assert outcome(lambda xs=xs: big.value_and_grad(*xs)) == compiled(small, xs)
        assert big(*xs) == small(*xs)
    assert big(0.5, 2.0) == small(0.5, 2.0)
    assert big._programs[False] is None


def test_the_source_grows_linearly_with_the_tape():
    def chain(n):
        def f(x, w):
            y = x
            for _ in range(n):
                y = dot([w, w], [y, x], bias=w).tanh() * 0.5 + y
            return y
        return trace(f, 0.1, 0.2)

    sizes = []
    for n in (200, 400):
        tape = chain(n)
        source = tape.source()
        sizes.append((tc.count_terms(tape.steps), source.count("\n"), len(source)))
    (t1, l1, c1), (t2, l2, c2) = sizes
    assert 1.9 < t2 / t1 < 2.1
    assert 1.9 < l2 / l1 < 2.1 and 1.9 < c2 / c1 < 2.2  # a bounded amount of source per term
    assert l2 < 2 * t2  # at most about two lines per term


def test_a_bare_ops_rule_returning_junk_fails_at_its_own_step():
    # Op(...) made by hand has no guard: ``g * "two"`` fails where the interpreter does it
    bare = Op("fast_bare_rule", lambda x: 2 * x, (lambda x, out: "two",), arity=1)
    tape = trace(lambda x: (bare(x * 3.0) + x).tanh(), 1.0)
    got = compiled(tape, (2.0,))
    assert got[0] == "error" and got == interpreter(tape, (2.0,))
    assert got[3] == ("(in the derivative rule of op 'fast_bare_rule', tape step 1)",)


def test_a_tape_pickles_and_is_compiled_again_when_loaded():
    import copy
    import pickle

    tape = trace(lambda x, y: dot([x, y], [y, 2.0]).tanh() * x, 0.5, 2.0)
    for loaded in (pickle.loads(pickle.dumps(tape)), copy.deepcopy(tape)):
        assert loaded.compiled
        assert compiled(loaded, (1.5, -0.5)) == compiled(tape, (1.5, -0.5))


def test_a_tape_compiles_on_its_second_float_replay_or_at_once_when_asked():
    from autograd_core.tape import Tape

    x, y = Value(0.5), Value(2.0)
    root = (x * y).tanh() + x
    tape = Tape(root, [x, y], n_args=2)
    assert tape._programs == {}
    first = outcome(lambda: tape.value_and_grad(1.0, 3.0))
    assert tape._programs == {}  # used once: never compiled
    second = outcome(lambda: tape.value_and_grad(1.0, 3.0))
    assert tape._programs[True] is not None and tape.compiled
    assert first == second == compiled(tape, (1.0, 3.0)) == interpreter(tape, (1.0, 3.0))
    now = trace(lambda a, b: (a * b).tanh() + a, 0.5, 2.0, compile=True)
    assert now._programs[True] is not None
    lanes_only = trace(lambda a, b: (a * b).tanh() + a, 0.5, 2.0)
    np = pytest.importorskip("numpy")
    lanes_only.value_and_grad(np.array([1.0, 2.0]), 3.0)
    lanes_only.value_and_grad(np.array([1.0, 2.0]), 3.0)
    assert lanes_only._programs == {}  # replayed on lanes only: nothing compiled

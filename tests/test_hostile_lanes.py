"""Hostile input for lane replay (autograd_core.lanes): users' ops whose array versions return
the wrong thing, odd arrays, NaN lanes, huge lane counts.

The contract: the lane replay equals a Python loop over the lanes (1e-12 relative), or raises
a TypeError / ValueError / DomainError from our code that names the op and what to do; never
a bare NumPy error from deep inside, never a silent wrong number. Tests marked "guard"
document behaviour that was already right when this file was written.
"""

from __future__ import annotations

import itertools
import tracemalloc
import warnings

import numpy as np
import pytest
from lanes_support import agree, loop

from autograd_core import DomainError, Op, Value, dot, primitive, sum_of, trace
from autograd_core import ops as _ops
from autograd_core.ops import power_by

# The engine's own ops (other test modules register ops of their own at import).
BUILTIN = list(dict.fromkeys(v for v in vars(_ops).values() if isinstance(v, Op)))

XS = np.array([1.0, 2.0, 3.0])
_count = itertools.count()


def user_op(**array):
    """A user's op 2x (float version right), with the array entries given."""
    return primitive(f"hostile_lane_op_{next(_count)}", lambda x: 2.0 * x, lambda x, out: 2.0,
                     array=array)


def replay(op, xs=XS):
    return trace(lambda x: op(x) + 1.0, 1.0).value_and_grad(xs)


def notes(exc):
    return " ".join(getattr(exc, "__notes__", ()))


# --------------------------------------------------------------------------- array forwards
@pytest.mark.parametrize("forward, kind, words", [
    (lambda x: np.ones(x.shape[-1] + 1), ValueError, r"shape \(4,\).*one value per lane"),
    (lambda x: 5.0, ValueError, r"returned a number .*one value per lane"),
    (lambda x: np.float64(5.0), ValueError, r"returned a number"),
    (lambda x: list(2 * x), TypeError, r"returned a list.*NumPy array"),
    (lambda x: None, TypeError, r"returned NoneType"),
    (lambda x: "abc", TypeError, r"returned str"),
    (lambda x: x * 1j, TypeError, r"complex128.*real"),
    (lambda x: x > 0, TypeError, r"bool.*real"),
    (lambda x: np.array([Value(1.0)] * x.shape[-1]), TypeError, r"object"),
])
def test_an_array_forward_returning_junk_is_named(forward, kind, words):
    """Before: a bare NumPy broadcast error, or silently a wrong number (a scalar broadcast
    to every lane, the imaginary part dropped with a ComplexWarning, None as NaN)."""
    op = user_op(forward=forward)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way to the error
        with pytest.raises(kind, match=words) as info:
            replay(op)
    assert op.name in str(info.value) and "array forward" in str(info.value)


def test_an_array_forward_of_ints_or_float32_is_taken_as_numbers():
    op = user_op(forward=lambda x: (2 * x).astype(np.int64))
    value, _ = replay(op)
    assert value.dtype == np.float64 and value.tolist() == [3.0, 5.0, 7.0]
    op = user_op(forward=lambda x: (2 * x).astype(np.float32))
    assert replay(op)[0].tolist() == [3.0, 5.0, 7.0]


@pytest.mark.filterwarnings("ignore:.*check lane by lane:RuntimeWarning")
def test_a_checked_ops_array_forward_returning_junk_is_named_too():
    """A checked op runs as a group of one (1-d lanes): the same checks apply."""
    op = primitive(f"hostile_lane_checked_{next(_count)}", lambda x: 2.0 * x, lambda x, out: 2.0,
                   check=lambda x: None, array={"forward": lambda x: np.ones(7)})
    with pytest.raises(ValueError, match=rf"{op.name}.*shape \(7,\)"):
        replay(op)


def test_an_array_forward_that_raises_gets_a_note_naming_the_op():
    """Before: a ZeroDivisionError or KeyError from the user's function had no note at all."""
    op = user_op(forward=lambda x: 1 / 0)
    with pytest.raises(ZeroDivisionError) as info:
        replay(op)
    assert op.name in notes(info.value) and "lane" in notes(info.value)

    def bad(x):
        raise KeyError("oops")

    op = user_op(forward=bad)
    with pytest.raises(KeyError) as info:
        replay(op)
    assert op.name in notes(info.value)


def test_a_float_forward_that_raises_in_one_lane_names_the_lane():
    """An op without array version runs lane by lane: its error says which lane."""
    op = primitive(f"hostile_lane_plain_{next(_count)}", lambda x: 1 / (x - 2.0), 1.0)
    with pytest.warns(RuntimeWarning, match="lane by lane"):
        with pytest.raises(ZeroDivisionError) as info:
            replay(op)
    assert "lane 1 of 3" in notes(info.value) and op.name in notes(info.value)


# --------------------------------------------------------------------------- array rules
@pytest.mark.parametrize("rule, kind, words", [
    (lambda x, out: "junk", TypeError, r"returned str"),
    (lambda x, out: None, TypeError, r"returned NoneType"),
    (lambda x, out: np.ones(7), ValueError, r"shape \(7,\)"),
    (lambda x, out: [1.0, 2.0, 3.0], TypeError, r"returned a list"),
    (lambda x, out: x * 1j, TypeError, r"complex128"),
    (lambda x, out: Value(2.0), TypeError, r"returned Value"),
    (lambda x, out: x > 0, TypeError, r"bool"),
])
def test_an_array_rule_returning_junk_is_named(rule, kind, words):
    """Before: UFuncTypeError / a broadcast error from NumPy, or a list taken as lanes."""
    op = user_op(rules=(rule,))
    with pytest.raises(kind, match=words) as info:
        replay(op)
    assert op.name in str(info.value) and "rule #0" in str(info.value)


def test_a_variadic_array_rule_with_the_wrong_count_is_named():
    """Before: zip()'s 'argument 2 is shorter than argument 1'."""
    op = primitive(f"hostile_lane_var_{next(_count)}", sum, lambda xs, out: [1.0] * len(xs),
                   variadic=True, array={"rules": (lambda xs, out: [1.0],)})
    tape = trace(lambda x, y: op([x, y, x]) * 2.0, 1.0, 2.0)
    with pytest.raises(ValueError, match=rf"{op.name}.*1 derivative.*3 inputs"):
        tape.value_and_grad(XS, 3.0)
    op = primitive(f"hostile_lane_var_{next(_count)}", sum, lambda xs, out: [1.0] * len(xs),
                   variadic=True, array={"rules": (lambda xs, out: 1.0,)})
    with pytest.raises(TypeError, match=rf"{op.name}.*list"):
        trace(lambda x, y: op([x, y]) * 2.0, 1.0, 2.0).value_and_grad(XS, 3.0)


def test_an_array_rule_that_raises_gets_a_note_naming_the_op():
    op = user_op(rules=(lambda x, out: {}[1],))
    with pytest.raises(KeyError) as info:
        replay(op)
    assert op.name in notes(info.value)


def test_array_entries_that_are_not_functions_are_named():
    """Before: 'NoneType' object is not callable / could not convert string to float."""
    op = Op(f"hostile_lane_entry_{next(_count)}", lambda x: 2.0 * x, (lambda x, out: 2.0,),
            arity=1, array={"forward": None})
    with pytest.raises(TypeError, match=rf"{op.name}.*'forward'.*function"):
        replay(op)
    op = Op(f"hostile_lane_entry_{next(_count)}", lambda x: 2.0 * x, (lambda x, out: 2.0,),
            arity=1, array={"rules": ("junk",)})
    with pytest.raises(TypeError, match=rf"{op.name}.*rule.*function"):
        replay(op)


def test_a_raw_ops_junk_float_rule_lane_by_lane_is_named():
    """An Op made without primitive() (no guard on its rules) run lane by lane."""
    op = Op(f"hostile_lane_raw_{next(_count)}", lambda x: 2.0 * x, (lambda x, out: "junk",),
            arity=1)
    with pytest.warns(RuntimeWarning, match="lane by lane"):
        with pytest.raises(TypeError, match=rf"rule #0 of op .{op.name}.*str"):
            replay(op)


def test_guard_broadcasting_rules_and_constant_rules_are_still_right():
    """guard: an array rule may return a number, or an array that broadcasts (a rule reading a
    number shared by every lane); the result equals the loop."""
    op = primitive(f"hostile_lane_mul_{next(_count)}", lambda a, b: a * b,
                   lambda a, b, out: b, lambda a, b, out: a, array={})
    tape = trace(lambda x, w: op(x, w) * op(w, x) + op(x, x), 0.5, 2.0)
    agree(tape, [np.array([0.5, -1.0, 3.0]), 2.0], 3)
    agree(tape, [2.0, np.array([0.5, -1.0, 3.0])], 3)


# --------------------------------------------------------------------------- arguments
def test_guard_odd_arrays_as_arguments():
    """guard: 0-d arrays and NumPy scalars are numbers, int and float32 lanes are floats, one
    lane is fine, bool/complex/object/str lanes and 2-D arrays are refused by name."""
    tape = trace(lambda x, y: (x * y).tanh() + x, 0.5, 2.0)
    assert tape(np.array(0.5), np.float64(2.0)) == tape(0.5, 2.0)
    agree(tape, [np.array([0.5]), 2.0], 1)
    agree(tape, [np.array([1, 2, 3]), 2.0], 3)
    agree(tape, [np.array([1.0, 2.5], dtype=np.float32), 2.0], 2)
    for bad in (np.array([True]), np.array([1j]), np.array([1.0], dtype=object),
                np.array(["a"])):
        with pytest.raises(TypeError, match="real numbers"):
            tape(bad, 2.0)
    with pytest.raises(ValueError, match=r"shape \(3, 1\)"):
        tape(np.ones((3, 1)), 2.0)


def test_guard_every_lane_pattern_of_every_op_equals_the_loop():
    """guard: each registered op, dot (weights, inputs, bias) and sum_of with repeats, every
    pattern of lane and number arguments."""
    rng = np.random.default_rng(0)
    cases = []
    for op in BUILTIN:
        if op.arity == 1 and op.array is not None:
            cases.append((lambda x, op=op: op(x) * x, [0.7]))
        elif op.arity == 2 and op.array is not None:
            cases.append((lambda x, y, op=op: op(x, y) + op(y, x) * x, [0.7, 1.3]))
    cases += [
        (lambda a, b, c, d, e: dot([a, b], [c, d], bias=e) * a, [0.3, -0.2, 0.5, 0.9, 0.1]),
        (lambda a, b: dot([a, a, b], [b, a, a], bias=a), [0.3, -0.2]),
        (lambda a, b, c: sum_of([a, b, a, c, c]) * sum_of([a, b]), [0.3, -0.2, 0.5]),
        (lambda a, b, c: dot([a, b], [c, c]) * dot([b, a], [c, c], bias=b), [0.3, -0.2, 0.5]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f, base in cases:
            tape = trace(f, *base)
            for pattern in itertools.product((False, True), repeat=len(base)):
                if any(pattern):
                    args = [b + rng.uniform(-0.1, 0.1, 4) if p else b
                            for p, b in zip(pattern, base, strict=True)]
                    agree(tape, args, 4)


def test_guard_nan_and_infinite_lanes_equal_the_loop():
    """guard: NaN, infinities, signed zeros and extremes pass through every op as on floats
    (lanes outside an op's domain left out: those raise)."""
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, -1.0, 2.5, 0.5]
    a = np.repeat(special, len(special))
    b = np.tile(special, len(special))
    unary = [op for op in BUILTIN if op.arity == 1 and op.array is not None] + [
        power_by(k) for k in (2.0, 0.5, -1.0, 0.0, 1.5)]
    binary = [op for op in BUILTIN if op.arity == 2]
    for op, args in [(op, [np.array(special)]) for op in unary] + [(op, [a, b])
                                                                   for op in binary]:
        tape = trace(lambda *xs, op=op: op(*xs), *[1.0] * len(args))
        inside = np.array([op.in_domain(*map(float, lane)) for lane in zip(*args, strict=True)])
        args = [x[inside] for x in args]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value, grads = tape.value_and_grad(*args)
        want_value, want_grads = loop(tape, args, int(inside.sum()))
        np.testing.assert_allclose(value, want_value, rtol=1e-12, equal_nan=True)
        for g, w in zip(grads, want_grads, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, equal_nan=True)


def test_guard_domain_errors_name_the_op_and_the_lane():
    tape = trace(lambda x, y: (x / y).sqrt() + x.log(), 1.0, 2.0)
    for args, op, lane in [([XS, np.array([1.0, 0.0, 2.0])], "'/'", "lane 1 of 3"),
                           ([XS, np.array([1.0, -1.0, 2.0])], "'sqrt'", "lane 1 of 3"),
                           ([np.array([1.0, 2.0, -3.0]), 1.0], "'log'", "lane 2 of 3")]:
        with pytest.raises(DomainError) as info:
            tape(*args)
        assert op in notes(info.value) and lane in notes(info.value)


# --------------------------------------------------------------------------- tapes
def test_guard_outputs_and_aux_that_are_arguments_or_constants():
    c = Value(5.0)
    tape = trace(lambda x, y: (x, [x, y]), 1.0, 2.0, has_aux=True)
    (value, aux), grads = tape.value_and_grad(XS, 2.0)
    assert value.tolist() == XS.tolist() and aux[1].tolist() == [2.0] * 3
    assert grads[0].tolist() == [1.0] * 3 and grads[1] == 0.0
    tape = trace(lambda x: (c, [c]), 1.0, has_aux=True)
    (value, aux), (g,) = tape.value_and_grad(XS)
    assert value.tolist() == aux[0].tolist() == [5.0] * 3 and g.tolist() == [0.0] * 3
    tape = trace(lambda x: x * c + c * c, 1.0)  # a captured Value: a constant
    agree(tape, [XS], 3)


# --------------------------------------------------------------------------- sizes
def _peak(tape, lanes):
    rng = np.random.default_rng(0)
    args = [rng.normal(size=lanes), rng.normal(size=lanes)]
    tape.value_and_grad(*args)
    tracemalloc.start()
    tape.value_and_grad(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_guard_memory_grows_in_proportion_to_the_lanes():
    """guard: 100 times the lanes, at most ~100 times the memory (no B x B temporary)."""
    w = [Value(0.1 * k) for k in range(8)]
    tape = trace(lambda a, b: sum_of([dot([wk, wk], [a, b]).tanh() for wk in w]) / (a * a + 1),
                 0.1, 0.2)
    small, large = _peak(tape, 1_000), _peak(tape, 100_000)
    assert large < 130 * small


def test_an_array_version_changing_its_input_in_place_is_refused():
    """Before: ``x *= 2`` in an array forward changed the lane row other instructions read,
    and the value came back silently wrong (6, 12, 18 for 5, 10, 15)."""
    def doubles_in_place(x):
        x *= 2.0
        return x

    op = user_op(forward=doubles_in_place)
    tape = trace(lambda a, b: op(a) * b + a, 1.0, 2.0)
    with pytest.raises(ValueError, match=rf"{op.name}.*in place.*new arrays"):
        tape.value_and_grad(XS.copy(), 2.0)

    def zeroes_out(x, out):
        out *= 0.0
        return np.full_like(x, 2.0)

    op = user_op(rules=(zeroes_out,))
    with pytest.raises(ValueError, match=rf"{op.name}.*in place"):
        trace(lambda a: op(a).tanh() * op(a), 1.0).value_and_grad(XS.copy())
    xs = XS.copy()
    trace(lambda a: user_op()(a) * 2.0, 1.0).value_and_grad(xs)
    assert xs.tolist() == XS.tolist()  # guard: the caller's arrays are never written


def test_a_check_run_lane_by_lane_warns_once_that_it_is_slow():
    """A checked op with array versions but no array check: its float check runs once per
    lane (a Python loop over B); before, silently."""
    op = primitive(f"hostile_lane_slowcheck_{next(_count)}", lambda x: 2.0 * x, 2.0,
                   check=lambda x: None, array={})
    tape = trace(lambda x: op(x) + 1.0, 1.0)
    with pytest.warns(RuntimeWarning, match=rf"{op.name}.*check lane by lane.*'check'"):
        tape(XS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace(lambda x: op(x) * 3.0, 1.0)(XS)  # once per op


def test_an_array_forward_written_as_a_loop_over_lanes_is_told_about_blocks():
    """Before: "only 0-dimensional arrays can be converted to Python scalars" with only the
    op's name: nothing said that array versions are given 2-D blocks."""
    op = user_op(forward=lambda x: np.array([2.0 * float(v) for v in x]))
    tape = trace(lambda a, b: op(a) * op(b), 1.0, 2.0)
    with pytest.raises(TypeError) as info:
        tape(XS, XS)
    assert op.name in notes(info.value) and "2-D blocks" in notes(info.value)

"""Hypothesis strategies and assertions for property-testing derivatives, ours and yours.

This module imports `Hypothesis <https://hypothesis.readthedocs.io>`_, which the engine itself
does not need: import it from your tests (``pip install hypothesis``).

Property-test your own op in three lines:

>>> from hypothesis import given
>>> from autograd_core import primitive
>>> from autograd_core.testing import assert_gradients_close, reals
>>> cube = primitive("cube_testing_doc", lambda x: x ** 3, lambda x, out: 3 * x * x)
>>> @given(reals(-100, 100))
... def test_cube(x): assert_gradients_close(cube, x)
>>> test_cube()

- :func:`reals` draws finite floats, optionally inside an op's domain;
- :func:`values` draws leaf Values;
- :func:`inputs_for` draws inputs at which an op is smooth (inside its domain, away from kinks);
- :func:`expressions` draws random expression DAGs (shared subexpressions, several depths)
  over every registered op, built-in and custom, that never leave any op's domain;
- :func:`assert_gradients_close` checks first and second derivatives with
  :func:`~autograd_core.gradcheck` and :func:`~autograd_core.gradgradcheck`.

Sampling stays a ``margin`` (default 1e-3) away from domain edges, kinks and near-singular
points, where finite differences cannot be trusted; everywhere else in ``[min_value,
max_value]`` is fair game. How "smooth here" is decided: the op is defined at each input moved
by ``±margin``, its value and local derivatives are finite there, each local derivative
changes by less than 10% (relative to ``1 + |derivative|``) across that neighbourhood, and
the value changes as the derivative predicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .check import GradcheckError, gradcheck, gradgradcheck
from .ops import add, power_by
from .primitives import VARIADIC, Op, registered_ops
from .value import Value, to_float

__all__ = [
    "Expression",
    "GradcheckError",
    "assert_gradients_close",
    "default_ops",
    "expressions",
    "inputs_for",
    "is_smooth_at",
    "reals",
    "values",
]

# x ** k with a constant k is a built-in op too, one per k; these stand for the family.
POWER_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5)


def default_ops() -> list[Op]:
    """Every registered op (built-in and custom) plus ``x ** k`` for a few constants ``k``."""
    return [*registered_ops().values(), *(power_by(k) for k in POWER_EXPONENTS)]


def _bounds(min_value: Any, max_value: Any) -> tuple[float, float]:
    lo = to_float(min_value, "min_value")
    hi = to_float(max_value, "max_value")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"min_value and max_value must be finite, got {lo!r} and {hi!r}")
    if lo > hi:
        raise ValueError(f"min_value {lo!r} is larger than max_value {hi!r}")
    return lo, hi


def _margin(margin: Any) -> float:
    m = to_float(margin, "margin")
    if not (math.isfinite(m) and m >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    return m


# --------------------------------------------------------------------------- smoothness
def _local(op: Op, inputs: Sequence[float], out: float) -> list[float]:
    if op.kind == VARIADIC:
        return [float(d) for d in op.rules[0](list(inputs), out)]
    return [r if isinstance(r, float) else float(r(*inputs, out)) for r in op.rules]


def _value_and_local(op: Op, inputs: Sequence[float]) -> tuple[float, list[float]] | None:
    """The op's value and local derivatives at ``inputs``; None where it is undefined."""
    try:
        if not op.in_domain(*inputs):
            return None
        out = op.evaluate(list(inputs))
        local = _local(op, inputs, out)
    except Exception:  # any failure means "not usable here"; inputs_for(op) then finds none
        # and Hypothesis reports that, so a broken op does not go unnoticed in its own tests
        return None
    if not math.isfinite(out) or not all(math.isfinite(d) for d in local):
        return None
    return out, local


def is_smooth_at(op: Op, inputs: Sequence[float], margin: float = 1e-3) -> bool:
    """True when ``op`` is defined and smooth on a ``margin`` around ``inputs``.

    Defined (in its domain, finite value and derivatives) at ``inputs`` and at each input moved
    by ``±margin``; every local derivative within 10% of ``1 + |derivative|`` of its value at
    ``inputs`` across that neighbourhood, and the op's own central difference with step
    ``margin`` within 10% of the derivative, and the derivatives' one-sided slopes alike: so
    not at a kink (of the op or of its derivative), a jump, a domain edge or a near-singular
    point.

    >>> from autograd_core import log, relu
    >>> is_smooth_at(log, [2.0]), is_smooth_at(log, [0.0005]), is_smooth_at(relu, [1e-4])
    (True, False, False)
    >>> from autograd_core import elu
    >>> is_smooth_at(elu, [0.5]), is_smooth_at(elu, [1e-4])     # elu'' jumps at 0
    (True, False)
    """
    inputs = [float(x) for x in inputs]
    here = _value_and_local(op, inputs)
    if here is None:
        return False
    _, local = here
    if margin == 0:
        return True
    for j in range(len(inputs)):
        ends = []
        for step in (margin, -margin):
            moved = list(inputs)
            moved[j] += step
            there = _value_and_local(op, moved)
            if there is None:
                return False
            ends.append(there)
        (up, up_local), (down, down_local) = ends
        # The derivatives barely change across the neighbourhood ...
        for d, hi, lo in zip(local, up_local, down_local, strict=True):
            if max(abs(hi - d), abs(lo - d)) > 0.1 * (1.0 + abs(d)):
                return False
            # ... and bend the same way on both sides: no kink in the derivative itself
            # (elu'' jumps at 0), where second derivatives are not checkable either.
            right, left = (hi - d) / margin, (d - lo) / margin
            if abs(right - left) > 0.1 * (1.0 + max(abs(right), abs(left))):
                return False
        # ... and the value moves as the derivative says (no jump, no pole in between).
        slope = (up - down) / (2 * margin)
        if not abs(slope - local[j]) <= 0.1 * (1.0 + abs(local[j])):
            return False
    return True


# --------------------------------------------------------------------------- strategies
def reals(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Op | Callable[[float], bool] | None = None,
    margin: float = 1e-3,
) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]``, optionally inside a domain.

    ``domain`` is a one-input ``Op`` (the floats are where it is smooth, see
    :func:`is_smooth_at`) or a predicate on floats (it must hold at ``x`` and ``x ± margin``).

    >>> from hypothesis import find
    >>> from autograd_core import log
    >>> find(reals(-5, 5, domain=log), lambda x: x < 1)   # the simplest such float
    0.5
    """
    lo, hi = _bounds(min_value, max_value)
    m = _margin(margin)
    base = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if domain is None:
        return base
    if isinstance(domain, Op):
        if domain.arity != 1:
            raise ValueError(
                f"reals(domain=...) takes an op of one input; {domain.name!r} has "
                f"{domain.arity or 'any number of'} inputs: use inputs_for(op) instead"
            )
        op = domain
        return base.filter(lambda x: is_smooth_at(op, [x], m))
    if not callable(domain):
        raise TypeError(
            f"domain must be an Op or a predicate float -> bool, got {type(domain).__name__}"
        )
    pred = domain
    return base.filter(lambda x: bool(pred(x) and pred(x - m) and pred(x + m)))


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Op | Callable[[float], bool] | None = None,
    margin: float = 1e-3,
    label: str = "",
) -> st.SearchStrategy[Value]:
    """Leaf Values holding floats drawn by :func:`reals` with the same arguments.

    >>> from hypothesis import find
    >>> find(values(0, 1, label="w"), lambda v: v.data > 0.5)
    Value(data=1.0000, grad=0.0000, label='w')
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    return reals(min_value, max_value, domain=domain, margin=margin).map(
        lambda x: Value(x, label)
    )


def inputs_for(
    op: Op,
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    margin: float = 1e-3,
    max_inputs: int = 5,
) -> st.SearchStrategy[tuple[float, ...]]:
    """Tuples of inputs at which ``op`` is smooth (:func:`is_smooth_at`); for a variadic op,
    between 1 and ``max_inputs`` of them.

    >>> from hypothesis import find
    >>> from autograd_core import power, gradcheck
    >>> a, b = find(inputs_for(power, -3, 3), lambda ab: ab[1] < 0)
    >>> gradcheck(power, a, b)
    True
    """
    if not isinstance(op, Op):
        raise TypeError(f"inputs_for needs an Op, got {type(op).__name__}")
    lo, hi = _bounds(min_value, max_value)
    m = _margin(margin)
    number = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if op.arity is None:
        tuples = st.lists(number, min_size=1, max_size=max_inputs).map(tuple)
    else:
        tuples = st.tuples(*[number] * op.arity)
    return tuples.filter(lambda xs: is_smooth_at(op, xs, m))


# --------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Expression:
    """A random expression DAG drawn by :func:`expressions`: call it on Values to build it.

    ``inputs`` is a point inside every op's domain; ``steps`` are ``(op, operands)`` pairs
    where an operand is an int (an input, then the results of earlier steps, in order) or a
    float constant; the last step's node is the output.
    """

    inputs: tuple[float, ...]
    steps: tuple[tuple[Op, tuple[int | float, ...]], ...]

    def __call__(self, *args: Any) -> Value:
        if len(args) != len(self.inputs):
            raise TypeError(f"this expression takes {len(self.inputs)} input(s), got {len(args)}")
        nodes: list[Any] = [a if isinstance(a, Value) else Value(a, f"x{i}")
                            for i, a in enumerate(args)]
        for op, operands in self.steps:
            xs = [nodes[o] if isinstance(o, int) else o for o in operands]
            nodes.append(op(xs) if op.arity is None else op(*xs))
        return nodes[-1]

    @property
    def ops(self) -> frozenset[str]:
        """Names of the ops used."""
        return frozenset(op.name for op, _ in self.steps)

    def __repr__(self) -> str:
        n = len(self.inputs)

        def name(o: int | float) -> str:
            if not isinstance(o, int):
                return repr(o)
            return f"x{o}" if o < n else f"v{o - n}"

        lines = [f"v{k} = {op.name}({', '.join(name(o) for o in operands)})"
                 for k, (op, operands) in enumerate(self.steps)]
        shown = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.inputs))
        return f"Expression({shown}; {'; '.join(lines)})"


@st.composite
def _expressions(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    ops: Sequence[Op] | None,
    min_inputs: int,
    max_inputs: int,
    max_steps: int,
    lo: float,
    hi: float,
    margin: float,
    max_magnitude: float,
    max_slope: float,
) -> Expression:
    pool = list(default_ops() if ops is None else ops)
    n_in = draw(st.integers(min_inputs, max_inputs), label="number of inputs")
    number = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    inputs = tuple(draw(number, label=f"x{i}") for i in range(n_in))
    data: list[float] = list(inputs)
    # d node / d input for every node: forward mode on floats, to bound how far a node moves
    # when gradcheck nudges an input by eps (it must stay within `margin` of where we checked).
    slopes: list[list[float]] = [[1.0 if i == j else 0.0 for j in range(n_in)]
                                 for i in range(n_in)]
    consumers = [0] * n_in
    steps: list[tuple[Op, tuple[int | float, ...]]] = []
    n_steps = draw(st.integers(1, max_steps), label="number of steps")
    for _ in range(n_steps):
        op = draw(st.sampled_from(pool), label="op")
        arity = op.arity if op.arity is not None else draw(st.integers(1, 4))
        operands: list[int | float] = []
        for k in range(arity):
            if k > 0 and draw(st.booleans(), label="constant?") and draw(st.booleans()):
                operands.append(draw(number, label="constant"))
            elif draw(st.booleans(), label="latest?"):
                operands.append(len(data) - 1)  # chain on: deeper expressions
            else:  # any earlier node: shared subexpressions
                operands.append(draw(st.integers(0, len(data) - 1), label="operand"))
        if draw(st.booleans(), label="swap?") and arity == 2 and not isinstance(operands[1], int):
            operands.reverse()
        xs = [data[o] if isinstance(o, int) else o for o in operands]
        if not is_smooth_at(op, xs, margin):
            continue
        out, local = _value_and_local(op, xs)  # type: ignore[misc]
        slope = [0.0] * n_in
        for o, d in zip(operands, local, strict=True):
            if isinstance(o, int):
                slope = [s + d * t for s, t in zip(slope, slopes[o], strict=True)]
        if abs(out) > max_magnitude or any(not abs(s) <= max_slope for s in slope):
            continue
        for o in operands:
            if isinstance(o, int):
                consumers[o] += 1
        steps.append((op, tuple(operands)))
        data.append(out)
        slopes.append(slope)
        consumers.append(0)
    # One output that depends on every unused result: add the dangling nodes together.
    sinks = [i for i in range(n_in, len(data)) if consumers[i] == 0] or [len(data) - 1]
    if len(sinks) == 1 and sinks[0] < n_in:
        steps.append((add, (sinks[0], 0.0)))
    else:
        acc = sinks[0]
        for s in sinks[1:]:
            steps.append((add, (acc, s)))
            acc = n_in + len(steps) - 1
    return Expression(inputs, tuple(steps))


def expressions(
    *,
    ops: Sequence[Op] | None = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    max_steps: int = 8,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = 1e-3,
    max_magnitude: float = 1e4,
    max_slope: float = 100.0,
) -> st.SearchStrategy[Expression]:
    """Random expression DAGs over ``ops`` (default: every registered op plus ``x ** k``).

    Operands are the inputs, earlier results (so subexpressions are shared) or constants, drawn
    in ``[min_value, max_value]``. A step whose op would not be smooth at its operands (outside
    its domain, near a kink, see :func:`is_smooth_at`) is left out, as is one whose value
    exceeds ``max_magnitude`` or whose derivative with respect to an input exceeds
    ``max_slope``: so finite differences with ``eps=1e-6`` never leave any op's domain and
    stay accurate. Results nobody used are added into the output.

    >>> from autograd_core import exp, gradcheck, power, sin, tanh
    >>> from hypothesis import find
    >>> e = find(expressions(ops=[exp, sin, tanh, power]), lambda e: len(e.steps) > 3)
    >>> gradcheck(e, *e.inputs)
    True
    """
    if ops is not None:
        ops = list(ops)
        for op in ops:
            if not isinstance(op, Op):
                raise TypeError(f"ops must hold Op objects, got {type(op).__name__} {op!r:.60}")
        if not ops:
            raise ValueError("ops is empty; give at least one op (or None for all of them)")
    for name, n in (("min_inputs", min_inputs), ("max_inputs", max_inputs),
                    ("max_steps", max_steps)):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if not 1 <= min_inputs <= max_inputs:
        raise ValueError(f"need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    lo, hi = _bounds(min_value, max_value)
    return _expressions(
        ops, min_inputs, max_inputs, max_steps, lo, hi, _margin(margin),
        to_float(max_magnitude, "max_magnitude"), to_float(max_slope, "max_slope"),
    )


# --------------------------------------------------------------------------- assertions
def assert_gradients_close(
    f: Callable[..., Any] | Op,
    *inputs: Any,
    order: int = 2,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Assert that ``f``'s derivatives at ``inputs`` match central differences.

    ``order=1`` checks the gradient (:func:`~autograd_core.gradcheck`), ``order=2`` (default)
    also the second derivatives (:func:`~autograd_core.gradgradcheck`). A mismatch raises
    :class:`~autograd_core.GradcheckError`, an ``AssertionError`` whose message is a table of
    analytic and numeric derivatives.

    >>> assert_gradients_close(lambda x, y: (x * y).sin(), 0.4, 1.1)
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    gradcheck(f, *inputs, eps=eps, atol=atol, rtol=rtol)
    if order == 2:
        gradgradcheck(f, *inputs, eps=eps, atol=atol, rtol=rtol)


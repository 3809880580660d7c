"""Property tests: the engine's gradients agree with central finite differences.

The oracle is independent of the code under test: each function is evaluated a second time
with ``math`` on plain floats, and differentiated numerically,

    f'(x) ~ (f(x + h) - f(x - h)) / (2h),   h = 1e-6 * max(1, |x|)

(smaller near a domain edge, so that x - h stays inside it).

Tolerances, float64 (machine epsilon 2.2e-16):

* Truncation error of the central difference is h**2 * |f'''| / 6. Inputs are drawn away from
  singularities (log, sqrt: x >= 1e-2 with h <= x/100; division: |b| >= 0.1; kinks of relu
  and abs: |x| >= 1e-3) so that h is at most ~1e-2 of the distance to trouble and the relative
  truncation error stays below ~1e-6. Hence ``rel_tol = 1e-5``.
* Rounding error is about eps * |f(x)| / h <= 2.2e-10 * |f(x)|: cancellation in f(x+h) - f(x-h)
  is absolute, not relative, so it is allowed for with ``abs_tol = 1e-6 * max(1, |f(x)|)``.
* Second derivatives of single ops use (f(x+h) - 2 f(x) + f(x-h)) / h**2 with h = 1e-4:
  truncation h**2 |f''''| / 12 ~ 1e-9, rounding 4 eps |f| / h**2 ~ 1e-7 |f|; tolerances are
  ``rel_tol = 1e-4`` and ``abs_tol = 1e-5 * max(1, |f|)``. On random graphs (which reach
  cos(x**9)-like oscillation) the oracle is a central difference of the first derivative with
  Richardson extrapolation, h = 1e-4 * max(1, |x|): truncation O(h**4), rounding
  ~eps |f'| / h ~ 2e-12 |f'|; ``rel_tol = 1e-4``, ``abs_tol = 1e-6 * max(1, |f'|)``.

Random expression graphs are built by a small strategy in this file: a list of steps, each
applying an op to earlier nodes (so nodes are shared and ``a * a`` occurs), evaluated once
with Values and once with ``math``. Graphs whose intermediate values exceed 1e4 in magnitude
are discarded, since there the finite difference itself is no longer a reliable oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_core import Value, dot, gradients, sum_of


def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(bound: float, gap: float) -> st.SearchStrategy[float]:
    return st.one_of(reals(-bound, -gap), reals(gap, bound))


def step(x: float, lo: float = -math.inf) -> float:
    h = 1e-6 * max(1.0, abs(x))
    if lo > -math.inf:
        h = min(h, (x - lo) / 100)
    return h


def central(f: Callable[[float], float], x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def agrees(engine: float, numeric: float, fx: float) -> bool:
    return math.isclose(engine, numeric, rel_tol=1e-5, abs_tol=1e-6 * max(1.0, abs(fx)))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# (name, engine op on a Value, the same function with math, input strategy, domain low end)
UNARY = [
    ("exp", lambda v: v.exp(), math.exp, reals(-30, 30), -math.inf),
    ("log", lambda v: v.log(), math.log, reals(1e-2, 1e6), 0.0),
    ("sqrt", lambda v: v.sqrt(), math.sqrt, reals(1e-2, 1e6), 0.0),
    ("tanh", lambda v: v.tanh(), math.tanh, reals(-20, 20), -math.inf),
    ("sigmoid", lambda v: v.sigmoid(), sigmoid, reals(-40, 40), -math.inf),
    ("relu", lambda v: v.relu(), lambda x: max(x, 0.0), away_from_zero(1e3, 1e-3), -math.inf),
    ("abs", abs, abs, away_from_zero(1e3, 1e-3), -math.inf),
    ("sin", lambda v: v.sin(), math.sin, reals(-100, 100), -math.inf),
    ("cos", lambda v: v.cos(), math.cos, reals(-100, 100), -math.inf),
    ("neg", lambda v: -v, lambda x: -x, reals(-1e6, 1e6), -math.inf),
    ("square", lambda v: v**2, lambda x: x * x, reals(-1e3, 1e3), -math.inf),
    ("cube", lambda v: v**3, lambda x: x**3, reals(-100, 100), -math.inf),
    ("inverse", lambda v: v**-1, lambda x: 1 / x, away_from_zero(1e3, 0.1), -math.inf),
    ("pow 1.5", lambda v: v**1.5, lambda x: x**1.5, reals(1e-2, 1e3), 0.0),
    ("rsqrt", lambda v: v**-0.5, lambda x: x**-0.5, reals(1e-2, 1e3), 0.0),
]


@pytest.mark.parametrize(("name", "f", "ref", "xs", "lo"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_matches_finite_differences(name, f, ref, xs, lo):
    @given(xs)
    def check(x0: float) -> None:
        x = Value(x0)
        y = f(x)
        y.backward()
        fx = ref(x0)
        assert math.isclose(y.data, fx, rel_tol=1e-12, abs_tol=1e-300)
        numeric = central(ref, x0, step(x0, lo))
        assert agrees(x.grad, numeric, fx), (x0, x.grad, numeric)

    check()


BINARY = [
    ("+", lambda a, b: a + b, reals(-1e6, 1e6), reals(-1e6, 1e6)),
    ("-", lambda a, b: a - b, reals(-1e6, 1e6), reals(-1e6, 1e6)),
    ("*", lambda a, b: a * b, reals(-1e3, 1e3), reals(-1e3, 1e3)),
    ("/", lambda a, b: a / b, reals(-1e3, 1e3), away_from_zero(1e3, 0.1)),
    ("**", lambda a, b: a**b, reals(0.1, 10), reals(-5, 5)),
]


@pytest.mark.parametrize(("sym", "f", "xa", "xb"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_op_matches_finite_differences(sym, f, xa, xb):
    @given(xa, xb, st.booleans())
    def check(a0: float, b0: float, number_on_one_side: bool) -> None:
        a, b = Value(a0), Value(b0)
        y = f(a, b)
        y.backward()
        fx = f(a0, b0)
        assert math.isclose(y.data, fx, rel_tol=1e-12, abs_tol=1e-300)
        da = central(lambda t: f(t, b0), a0, step(a0, 0.0 if sym == "**" else -math.inf))
        db = central(lambda t: f(a0, t), b0, step(b0))
        assert agrees(a.grad, da, fx), (a0, b0, a.grad, da)
        assert agrees(b.grad, db, fx), (a0, b0, b.grad, db)
        if number_on_one_side:  # a plain number on either side gives the same slope
            x = Value(b0)
            f(a0, x).backward()
            assert x.grad == b.grad
            x = Value(a0)
            f(x, b0).backward()
            assert agrees(x.grad, da, fx)

    check()


@given(st.lists(reals(-10, 10), min_size=1, max_size=6), st.data())
def test_dot_and_sum_of_match_finite_differences(ws0, data):
    xs0 = data.draw(st.lists(reals(-10, 10), min_size=len(ws0), max_size=len(ws0)))
    b0 = data.draw(reals(-10, 10))
    ws, xs, b = [Value(w) for w in ws0], [Value(x) for x in xs0], Value(b0)
    y = dot(ws, xs, bias=b).tanh() + sum_of(ws).sin()

    def ref(w: list[float], x: list[float], bias: float) -> float:
        return math.tanh(bias + sum(p * q for p, q in zip(w, x, strict=True))) + math.sin(sum(w))

    y.backward()
    fx = ref(ws0, xs0, b0)
    assert math.isclose(y.data, fx, rel_tol=1e-9, abs_tol=1e-12)
    for i, w in enumerate(ws):
        def along_w(t: float, i: int = i) -> float:
            return ref([*ws0[:i], t, *ws0[i + 1 :]], xs0, b0)

        assert agrees(w.grad, central(along_w, ws0[i], step(ws0[i])), fx)
    for i, x in enumerate(xs):
        def along_x(t: float, i: int = i) -> float:
            return ref(ws0, [*xs0[:i], t, *xs0[i + 1 :]], b0)

        assert agrees(x.grad, central(along_x, xs0[i], step(xs0[i])), fx)
    assert agrees(b.grad, central(lambda t: ref(ws0, xs0, t), b0, step(b0)), fx)
    # backward() takes the ops' in-place float shortcut (Op.accumulate); gradients() applies
    # their derivative rules: the two must agree, also when an input is shared (dot(w, w)).
    inputs = [*ws, *xs, b]
    assert gradients(y, inputs) == pytest.approx([v.grad for v in inputs], rel=1e-12, abs=1e-15)
    square = dot(ws, ws, bias=b) + sum_of([*xs, *xs])
    fast = [v.grad for v in inputs]
    square.backward()
    shortcut = [v.grad - old for v, old in zip(inputs, fast, strict=True)]
    assert gradients(square, inputs) == pytest.approx(shortcut, rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- random graphs
# Each op: (arity, engine version on Values, math version on floats). Every op is smooth and
# defined for all real inputs, so any program is valid; kinks are covered op by op above.
OPS: dict[str, tuple[int, Callable[..., Value], Callable[..., float]]] = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "rsub": (2, lambda a, b: 1.5 - a * b, lambda a, b: 1.5 - a * b),
    "div": (2, lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "rdiv": (2, lambda a, b: 2 / (a * a + b * b + 1), lambda a, b: 2 / (a * a + b * b + 1)),
    "pow": (2, lambda a, b: (a * a + 1) ** b.sin(), lambda a, b: (a * a + 1) ** math.sin(b)),
    "rpow": (1, lambda a: 2**a.tanh(), lambda a: 2 ** math.tanh(a)),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "cube": (1, lambda a: a**3, lambda a: a**3),
    "neg": (1, lambda a: -a, lambda a: -a),
    "tanh": (1, lambda a: a.tanh(), math.tanh),
    "sigmoid": (1, lambda a: a.sigmoid(), sigmoid),
    "sin": (1, lambda a: a.sin(), math.sin),
    "cos": (1, lambda a: a.cos(), math.cos),
    "exp": (1, lambda a: a.exp(), math.exp),
    "log": (1, lambda a: (a * a + 1).log(), lambda a: math.log(a * a + 1)),
    "sqrt": (1, lambda a: (a * a + 0.5).sqrt(), lambda a: math.sqrt(a * a + 0.5)),
    "scale": (1, lambda a: 0.5 * a + 0.25, lambda a: 0.5 * a + 0.25),
    "dot": (2, lambda a, b: dot([a, b], [b, 0.5], bias=a),
            lambda a, b: a + a * b + b * 0.5),
    "sum": (2, lambda a, b: sum_of([a, b, a]), lambda a, b: a + b + a),
}

Program = list[tuple[str, int, int]]


@st.composite
def programs(draw: st.DrawFn, n_inputs: int) -> Program:
    n_steps = draw(st.integers(1, 12))
    steps = []
    for k in range(n_steps):
        available = n_inputs + k
        name = draw(st.sampled_from(sorted(OPS)))
        i = draw(st.integers(0, available - 1))
        j = draw(st.integers(0, available - 1))  # i == j gives a * a, a + a, ...
        steps.append((name, i, j))
    return steps


def run(program: Program, inputs: list, which: int) -> list:
    """All nodes of the program; ``which`` = 1 for Values, 2 for floats."""
    nodes = list(inputs)
    for name, i, j in program:
        spec = OPS[name]
        fn = spec[which]
        nodes.append(fn(nodes[i]) if spec[0] == 1 else fn(nodes[i], nodes[j]))
    return nodes


def output(program: Program, inputs: list, which: int):
    """The sum of the last node and every node nobody used, so every step matters."""
    nodes = run(program, inputs, which)
    used = {i for _, i, _ in program} | {j for name, _, j in program if OPS[name][0] == 2}
    tail = [n for k, n in enumerate(nodes) if k >= len(inputs) and k not in used]
    total = tail[0]
    for n in tail[1:]:
        total = total + n
    return total


def float_fn(program: Program, xs0: list[float], k: int) -> Callable[[float], float]:
    return lambda t: output(program, [*xs0[:k], t, *xs0[k + 1 :]], 2)


N_INPUTS = 3


@given(programs(N_INPUTS), st.lists(reals(-2, 2), min_size=N_INPUTS, max_size=N_INPUTS))
def test_random_graphs_match_finite_differences(program, xs0):
    try:
        floats = run(program, xs0, 2)
    except OverflowError:
        assume(False)
    assume(all(abs(v) < 1e4 for v in floats))
    fx = output(program, xs0, 2)

    xs = [Value(x) for x in xs0]
    y = output(program, xs, 1)
    assert math.isclose(y.data, fx, rel_tol=1e-12, abs_tol=1e-12)
    y.backward()
    engine = [x.grad for x in xs]
    for k in range(N_INPUTS):
        numeric = central(float_fn(program, xs0, k), xs0[k], step(xs0[k]))
        assert agrees(engine[k], numeric, fx), (k, engine[k], numeric)

    # the three ways to ask agree with each other (fast path, general path, create_graph)
    assert gradients(y, xs) == pytest.approx(engine, rel=1e-12, abs=1e-300)
    xs2 = [Value(x) for x in xs0]
    y2 = output(program, xs2, 1)
    y2.backward(create_graph=True)
    as_values = [x.grad.data if isinstance(x.grad, Value) else x.grad for x in xs2]
    assert as_values == pytest.approx(engine, rel=1e-12, abs=1e-300)

    # a second backward doubles the leaves' gradients and leaves intermediates as they were
    y.backward()
    assert [x.grad for x in xs] == pytest.approx([2 * g for g in engine], rel=1e-15)


def first_derivative(program: Program, t: float) -> float:
    """dy/dx at t from the fast float backward (itself checked against differences above)."""
    x = Value(t)
    output(program, [x], 1).backward()
    return x.grad


@given(programs(1), reals(-2, 2))
def test_random_graphs_second_derivative_matches_finite_differences(program, x0):
    # Oracle: a central difference of the first derivative with Richardson extrapolation,
    # (4 D(h/2) - D(h)) / 3, whose error is O(h**4): a plain second difference of f has an
    # O(h**2) error that reaches 1e-3 relative on fast-oscillating graphs such as cos(x**9).
    try:
        floats = run(program, [x0], 2)
        h = 1e-4 * max(1.0, abs(x0))
        d = [first_derivative(program, x0 + k * h / 2) for k in (-2, -1, 1, 2)]
    except OverflowError:
        assume(False)
    assume(all(abs(v) < 1e4 for v in floats) and all(math.isfinite(v) for v in d))
    coarse = (d[3] - d[0]) / (2 * h)
    fine = (d[2] - d[1]) / h
    numeric = (4 * fine - coarse) / 3

    x = Value(x0)
    y = output(program, [x], 1)
    (d1,) = gradients(y, [x], create_graph=True)
    if not isinstance(d1, Value):  # the first derivative does not depend on x at all
        assert math.isclose(numeric, 0.0, abs_tol=1e-6 * max(1.0, abs(y.data)))
        return
    (d2,) = gradients(d1, [x])
    scale = max(1.0, *(abs(v) for v in d))
    assert math.isclose(d2, numeric, rel_tol=1e-4, abs_tol=1e-6 * scale), (d2, numeric)

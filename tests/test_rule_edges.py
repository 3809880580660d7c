"""Every derivative rule at its edges: 0, the ends of its domain, +-inf and NaN, to second order.

The expected numbers are written from the mathematics (the derivative of the textbook formula,
at the point or as its limit there), not read off the engine. The second derivative is the rule
differentiated again: ``gradients(..., create_graph=True)`` and then ``gradients`` of each
first derivative. For ops of several inputs the second derivatives are the rows of the Hessian,
``row i = d/d(inputs) of d f/d input_i``.

Where the mathematics leaves a choice (a kink, ``0 ** 0``, a pole reached from one side, a
formula that is ``0 * inf``), the engine takes PyTorch's value, checked with PyTorch 2.13 in
float64 (``torch.autograd.grad`` twice, ``create_graph=True``). Every row below agrees with
PyTorch except those marked ``torch:``, which say what PyTorch gives and why we differ on
purpose. In short:

* ``x / 0``, ``log(x <= 0)``, ``sqrt(x < 0)``, ``0 ** b<0`` and a negative base to a
  non-integer power are domain errors here (PyTorch returns inf or NaN and goes on).
* ``-0.0`` is 0: ``sqrt'(-0.0)`` is ``+inf`` here; PyTorch gives ``-inf`` (``1 / (2 * -0.0)``,
  a sign of IEEE's signed zero, not of the slope).
* Where PyTorch masks a derivative with ``torch.where`` (``a ** b`` at ``b = 0`` or at
  ``a = 0``), the derivative of its masked branch is NaN there (``0 * log 0``); here the masked
  derivative is the constant 0, so its own derivatives are 0, and the Hessian stays symmetric
  where PyTorch's is not (``d2/db da`` of ``a ** b`` at ``b = 0``: PyTorch 0, its transpose
  ``1/a``; here ``1/a`` both ways).
* A negative base gives ``d/db = NaN`` (no real log), and NaN to every order, as the
  mathematics says; PyTorch's second derivatives there are sometimes finite (its masked log).
* The chain rule multiplies: ``upstream * local``. A local derivative that is 0 times an
  infinite upstream gradient is NaN here for every op, where PyTorch's ``relu``, ``x ** 0`` and
  pow-at-a-zero-base backward give 0 (they select, they do not multiply): ``sqrt(relu(x))`` at
  ``x < 0`` has derivative 0 in PyTorch and NaN here. Likewise ``log`` and ``/`` at a subnormal
  ``x`` (below 2.2e-308): ``1/x`` overflows to inf where PyTorch's ``grad / x`` stays finite.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest

from autograd_core import DivisionByZero, DomainError, Value, grad, gradients, ops, registered_ops

inf = math.inf
nan = math.nan
TINY = 5e-324  # the smallest subnormal: 1/TINY and TINY ** -1 overflow
LN_TINY = math.log(TINY)
LN2 = math.log(2.0)
MIXED = 4 * (1 + 3 * LN2)  # d2/da db of a ** b at (2, 3)


def op_named(name: str) -> Any:
    """A table key to its op: a registered name, ``**k`` for the op ``x ** k``, or
    ``leaky_relu(slope=0.2)`` for a parametrised op."""
    if name.startswith("**") and name != "**":
        return ops.power_by(float(name[2:]))
    if "(" in name:  # leaky_relu(slope=0.2): an op of a parametrised family
        base, _, rest = name.partition("(")
        parameter, _, value = rest.rstrip(")").partition("=")
        return registered_ops()[base].at(**{parameter: float(value)})
    return registered_ops()[name]


def derivatives(name: str, inputs: tuple[float, ...]) -> tuple[list[float], list[list[float]]]:
    """First derivatives and the rows of second derivatives, as the engine computes them."""
    op = op_named(name)
    xs = [Value(x) for x in inputs]
    y = op(xs) if op.arity is None else op(*xs)
    firsts = gradients(y, xs, create_graph=True)
    rows = []
    for g in firsts:
        if isinstance(g, Value):
            rows.append([float(h) for h in gradients(g, xs)])
        else:  # a constant derivative: its own derivatives are 0
            rows.append([0.0] * len(xs))
    return [float(g) for g in firsts], rows


def same(got: float, want: float) -> bool:
    """Equal, NaN equal to NaN, finite values to 12 digits (0.0 and -0.0 are the same)."""
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want) or want == 0:
        return got == want
    return math.isclose(got, want, rel_tol=1e-12)


# (op, inputs, first derivative(s), second derivative(s)). For one input the derivatives are
# numbers; for several, a tuple (one per input) and a tuple of Hessian rows.
ROWS: list[tuple[str, tuple[float, ...], Any, Any]] = [
    # ------------------------------------------------------------------ linear ops
    # d/da, d/db are constants, even where the value is NaN; every second derivative is 0.
    ("+", (0.0, 0.0), (1.0, 1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("+", (inf, -inf), (1.0, 1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("+", (nan, 1.0), (1.0, 1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("-", (0.0, 0.0), (1.0, -1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("-", (inf, inf), (1.0, -1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("-", (-inf, nan), (1.0, -1.0), ((0.0, 0.0), (0.0, 0.0))),
    ("neg", (0.0,), -1.0, 0.0),
    ("neg", (inf,), -1.0, 0.0),
    ("neg", (-inf,), -1.0, 0.0),
    ("neg", (nan,), -1.0, 0.0),
    # ------------------------------------------------------------------ a * b
    # d/da = b, d/db = a; d2/da db = d2/db da = 1, d2/da2 = d2/db2 = 0.
    ("*", (0.0, 0.0), (0.0, 0.0), ((0.0, 1.0), (1.0, 0.0))),
    ("*", (0.0, inf), (inf, 0.0), ((0.0, 1.0), (1.0, 0.0))),
    ("*", (-inf, inf), (inf, -inf), ((0.0, 1.0), (1.0, 0.0))),
    ("*", (nan, 2.0), (2.0, nan), ((0.0, 1.0), (1.0, 0.0))),
    # ------------------------------------------------------------------ a / b
    # d/da = 1/b, d/db = -a/b**2; d2/da2 = 0, d2/da db = -1/b**2, d2/db2 = 2a/b**3.
    ("/", (0.0, 2.0), (0.5, 0.0), ((0.0, -0.25), (-0.25, 0.0))),
    ("/", (1.0, inf), (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0))),
    ("/", (inf, 2.0), (0.5, -inf), ((0.0, -0.25), (-0.25, inf))),
    ("/", (-inf, -2.0), (-0.5, inf), ((0.0, -0.25), (-0.25, inf))),
    ("/", (nan, 1.0), (1.0, nan), ((0.0, -1.0), (-1.0, nan))),
    ("/", (1.0, nan), (nan, nan), ((0.0, nan), (nan, nan))),  # 1/b has no a in it
    ("/", (1.0, TINY), (inf, -inf), ((0.0, -inf), (-inf, inf))),
    # ------------------------------------------------------------------ a ** b
    # d/da = b a**(b-1), d/db = a**b ln a; d2/da2 = b(b-1) a**(b-2),
    # d2/da db = a**(b-1) (1 + b ln a), d2/db2 = a**b (ln a)**2.
    ("**", (2.0, 3.0), (12.0, 8 * LN2), ((12.0, MIXED), (MIXED, 8 * LN2**2))),
    # At b = 0, a ** 0 = 1 is flat in a: d/da = 0 (as PyTorch, which masks b a**(b-1) there),
    # also where a ** -1 overflows (the formula would be 0 * inf = NaN: the case).
    ("**", (2.0, 0.0), (0.0, LN2), ((0.0, 0.5), (0.5, LN2**2))),  # torch: d2/db da = 0
    # d2/db da is 1/a = inf; the flat 0 is a constant where 1/a overflows, so 0 that way.
    ("**", (TINY, 0.0), (0.0, LN_TINY), ((0.0, 0.0), (inf, LN_TINY**2))),  # torch: NaN, NaN
    ("**", (nan, 0.0), (0.0, nan), ((0.0, 0.0), (nan, nan))),  # torch: row 1 NaN, NaN
    # d2/db da by the chain: log(inf) * (d/da = 0) = inf * 0 = NaN; torch: 0 (its mask selects)
    ("**", (inf, 0.0), (0.0, inf), ((0.0, nan), (nan, inf))),
    # At a = 0 (b >= 0), 0 ** b is flat in b: d/db = 0 (as PyTorch); d/da is 0 ** (b-1) b:
    # 0 for b > 1, 1 at b = 1, inf for 0 < b < 1 (a pole, and d2/da2 = -inf below it).
    # torch: the derivatives of its masked d/db (row 2) are NaN; here 0, the limit.
    ("**", (0.0, 0.0), (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0))),  # torch: all NaN (0 * log 0)
    ("**", (0.0, 0.5), (inf, 0.0), ((-inf, nan), (0.0, 0.0))),  # d2/db da: inf - inf
    ("**", (0.0, TINY), (inf, 0.0), ((-inf, nan), (0.0, 0.0))),
    ("**", (0.0, 1.0), (1.0, 0.0), ((0.0, 1.0), (0.0, 0.0))),
    ("**", (0.0, 2.0), (0.0, 0.0), ((2.0, 0.0), (0.0, 0.0))),
    ("**", (-0.0, 3.0), (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0))),
    ("**", (0.0, inf), (nan, 0.0), ((nan, nan), (0.0, 0.0))),  # inf * 0 ** inf
    # A negative base: d/da is real for an integer b; d/db has no real log: NaN, and so are
    # all its derivatives (torch: also NaN here; at b = 0 its d2/da db is 1/a).
    ("**", (-2.0, 3.0), (12.0, nan), ((-12.0, nan), (nan, nan))),
    ("**", (-2.0, 0.0), (0.0, nan), ((0.0, nan), (nan, nan))),
    ("**", (-inf, 2.0), (-inf, nan), ((2.0, nan), (nan, nan))),
    # Infinities: the formulas in IEEE arithmetic.
    # d2/da db: the chain gives log(a) * 2a + out * (1/a) = inf + inf * 0 = NaN (as PyTorch),
    # where the closed form a (1 + 2 ln a) is inf.
    ("**", (inf, 2.0), (inf, inf), ((2.0, inf), (nan, inf))),
    ("**", (2.0, inf), (inf, inf), ((inf, inf), (inf, inf))),
    ("**", (2.0, -inf), (nan, 0.0), ((nan, nan), (nan, 0.0))),  # -inf * 2 ** -inf = -inf * 0
    ("**", (1.0, nan), (nan, 0.0), ((nan, nan), (nan, 0.0))),  # 1 ** nan = 1, ln 1 = 0
    ("**", (nan, 2.0), (nan, nan), ((2.0, nan), (nan, nan))),  # nan ** 0 = 1 in d2/da2
    # ------------------------------------------------------------------ x ** k, constant k
    # d = k x**(k-1), d2 = k(k-1) x**(k-2).
    ("**0", (0.0,), 0.0, 0.0),  # a constant: flat everywhere, also at NaN (as PyTorch)
    ("**0", (TINY,), 0.0, 0.0),
    ("**0", (inf,), 0.0, 0.0),
    ("**0", (nan,), 0.0, 0.0),
    ("**1", (0.0,), 1.0, 0.0),
    ("**1", (nan,), 1.0, 0.0),  # nan ** 0 = 1, as PyTorch
    ("**1", (-inf,), 1.0, 0.0),
    # The case: x ** 0.5 at 0 has d2 = -inf/4 * 0 ** -1.5 = -inf (was 0).
    ("**0.5", (0.0,), inf, -inf),
    ("**0.5", (-0.0,), inf, -inf),  # torch: -inf, -inf (rsqrt(-0.0))
    ("**0.5", (TINY,), 0.5 / math.sqrt(TINY), -inf),
    ("**0.5", (inf,), 0.0, 0.0),
    ("**0.5", (nan,), nan, nan),
    ("**0.25", (0.0,), inf, -inf),
    ("**1.5", (0.0,), 0.0, inf),
    ("**1.5", (-0.0,), 0.0, inf),  # torch: -inf (pow(-0.0, -0.5))
    ("**1.5", (inf,), inf, 0.0),
    ("**1.5", (nan,), nan, nan),
    ("**2", (0.0,), 0.0, 2.0),
    ("**2", (inf,), inf, 2.0),
    ("**2", (-inf,), -inf, 2.0),
    ("**2", (nan,), nan, 2.0),  # 2 * nan ** 0 = 2, as PyTorch
    ("**2", (1e200,), 2e200, 2.0),  # the value overflows, its derivatives do not
    ("**3", (0.0,), 0.0, 0.0),
    ("**3", (-inf,), inf, -inf),
    ("**3", (nan,), nan, nan),
    ("**-1", (TINY,), -inf, inf),
    ("**-1", (-TINY,), -inf, -inf),
    ("**-1", (inf,), 0.0, 0.0),
    ("**-1", (-inf,), 0.0, 0.0),
    ("**-1", (nan,), nan, nan),
    ("**-2", (inf,), 0.0, 0.0),
    ("**-2", (-TINY,), inf, inf),
    ("**-0.5", (inf,), 0.0, 0.0),
    ("**-0.5", (nan,), nan, nan),
    # ------------------------------------------------------------------ exp, log, sqrt
    ("exp", (0.0,), 1.0, 1.0),
    ("exp", (710.0,), inf, inf),  # overflow: the slope is infinite too
    ("exp", (inf,), inf, inf),
    ("exp", (-inf,), 0.0, 0.0),
    ("exp", (nan,), nan, nan),
    # d = 1/x, d2 = -1/x**2.
    ("log", (1.0,), 1.0, -1.0),
    ("log", (TINY,), inf, -inf),
    ("log", (inf,), 0.0, 0.0),
    ("log", (nan,), nan, nan),
    # d = 1/(2 sqrt x), d2 = -1/(4 x**1.5): inf then -inf at 0 (was 0), NaN at NaN (was inf).
    ("sqrt", (4.0,), 0.25, -1 / 32),
    ("sqrt", (0.0,), inf, -inf),
    ("sqrt", (-0.0,), inf, -inf),  # torch: -inf, +inf (1 / (2 * -0.0))
    ("sqrt", (TINY,), 0.5 / math.sqrt(TINY), -inf),
    ("sqrt", (inf,), 0.0, 0.0),
    ("sqrt", (nan,), nan, nan),
    # ------------------------------------------------------------------ saturating
    # tanh: d = 1 - t**2, d2 = -2t (1 - t**2); both 0 at +-inf.
    ("tanh", (0.0,), 1.0, 0.0),
    ("tanh", (inf,), 0.0, 0.0),
    ("tanh", (-inf,), 0.0, 0.0),
    ("tanh", (nan,), nan, nan),
    # sigmoid: d = s (1 - s), d2 = s (1 - s)(1 - 2s); both 0 at +-inf.
    ("sigmoid", (0.0,), 0.25, 0.0),
    ("sigmoid", (inf,), 0.0, 0.0),
    ("sigmoid", (-inf,), 0.0, 0.0),
    ("sigmoid", (-800.0,), 0.0, 0.0),
    ("sigmoid", (nan,), nan, nan),
    # ------------------------------------------------------------------ kinks
    # relu: 1 for x > 0, 0 for x <= 0 (0 at the kink, as PyTorch); d2 = 0.
    ("relu", (0.0,), 0.0, 0.0),
    ("relu", (-0.0,), 0.0, 0.0),
    ("relu", (TINY,), 1.0, 0.0),
    ("relu", (inf,), 1.0, 0.0),
    ("relu", (-inf,), 0.0, 0.0),
    ("relu", (nan,), 1.0, 0.0),  # as PyTorch: the gradient passes unless x <= 0 (was 0)
    # abs: sign(x), 0 at the kink (as PyTorch's sgn); d2 = 0.
    ("abs", (0.0,), 0.0, 0.0),
    ("abs", (-0.0,), 0.0, 0.0),
    ("abs", (inf,), 1.0, 0.0),
    ("abs", (-inf,), -1.0, 0.0),
    ("abs", (nan,), 0.0, 0.0),  # as PyTorch: sgn(nan) = 0
    # ------------------------------------------------------------------ activations
    # leaky_relu: 1 for x > 0, the slope otherwise (0 and NaN included, as PyTorch's
    # x > 0 ? 1 : slope); d2 = 0.
    ("leaky_relu", (0.0,), 0.01, 0.0),
    ("leaky_relu", (-0.0,), 0.01, 0.0),
    ("leaky_relu", (inf,), 1.0, 0.0),
    ("leaky_relu", (-inf,), 0.01, 0.0),
    ("leaky_relu", (nan,), 0.01, 0.0),
    ("leaky_relu(slope=0.2)", (-3.0,), 0.2, 0.0),
    ("leaky_relu(slope=0.2)", (0.0,), 0.2, 0.0),
    # elu: alpha e**x for x <= 0 (alpha at 0, from the left, as PyTorch), 1 above (and at NaN,
    # as PyTorch's x <= 0 ? ... : 1); d2 = alpha e**x for x <= 0, else 0.
    ("elu", (0.0,), 1.0, 1.0),
    ("elu", (-1.0,), math.exp(-1.0), math.exp(-1.0)),
    ("elu", (inf,), 1.0, 0.0),
    ("elu", (-inf,), 0.0, 0.0),
    ("elu", (nan,), 1.0, 0.0),
    ("elu(alpha=0.5)", (0.0,), 0.5, 0.5),
    # softplus = log(1 + e**x): d = sigmoid(x), d2 = s (1 - s).
    ("softplus", (0.0,), 0.5, 0.25),
    ("softplus", (inf,), 1.0, 0.0),
    ("softplus", (-inf,), 0.0, 0.0),
    ("softplus", (-800.0,), 0.0, 0.0),
    ("softplus", (nan,), nan, nan),
    # gelu (tanh form): d(0) = 1/2, d2(0) = sqrt(2/pi); the limits at +-inf (slope 1 and 0,
    # d2 = 0). torch: NaN at +-inf and +-1e200 (its 0.5 x (1 + tanh u) and its derivative
    # meet inf * 0 there). The activation rows follow PyTorch's kernel formulas (read, not run).
    ("gelu", (0.0,), 0.5, math.sqrt(2 / math.pi)),
    ("gelu", (inf,), 1.0, 0.0),
    ("gelu", (-inf,), 0.0, 0.0),
    ("gelu", (-1e200,), 0.0, 0.0),
    ("gelu", (1e200,), 1.0, 0.0),
    ("gelu", (nan,), nan, nan),
    # ------------------------------------------------------------------ periodic
    ("sin", (0.0,), 1.0, 0.0),
    ("sin", (inf,), nan, nan),
    ("sin", (-inf,), nan, nan),
    ("sin", (nan,), nan, nan),
    ("cos", (0.0,), 0.0, -1.0),
    ("cos", (inf,), nan, nan),
    ("cos", (-inf,), nan, nan),
    ("cos", (nan,), nan, nan),
    # ------------------------------------------------------------------ n-ary
    # dot(w, x) + b with parents (w0, x0, b): d = (x0, w0, 1); d2 w0 x0 = 1, the rest 0.
    ("dot", (0.0, inf, 1.0), (inf, 0.0, 1.0), ((0, 1, 0), (1, 0, 0), (0, 0, 0))),
    ("dot", (nan, 2.0, -inf), (2.0, nan, 1.0), ((0, 1, 0), (1, 0, 0), (0, 0, 0))),
    ("dot", (0.0, 0.0), (0.0, 0.0), ((0, 1), (1, 0))),
    ("dot", (inf, -inf), (-inf, inf), ((0, 1), (1, 0))),
    # sum: every d = 1, every d2 = 0, whatever the values.
    ("sum", (0.0, inf, -inf, nan), (1, 1, 1, 1), ((0,) * 4,) * 4),
    ("sum", (nan,), (1.0,), ((0.0,),)),
]

# Inputs outside the domain: an error, not a derivative (PyTorch returns inf or NaN).
ERRORS: list[tuple[str, tuple[float, ...], type[Exception]]] = [
    ("/", (1.0, 0.0), DivisionByZero),
    ("/", (0.0, -0.0), DivisionByZero),
    ("**", (0.0, -1.0), DivisionByZero),
    ("**", (0.0, -inf), DivisionByZero),
    ("**", (-8.0, 1 / 3), DomainError),
    ("**", (-inf, 0.5), DomainError),
    ("**-1", (0.0,), DivisionByZero),
    ("**-0.5", (0.0,), DivisionByZero),
    ("**0.5", (-inf,), DomainError),
    ("log", (0.0,), DomainError),
    ("log", (-0.0,), DomainError),
    ("log", (-inf,), DomainError),
    ("sqrt", (-TINY,), DomainError),
    ("sqrt", (-inf,), DomainError),
]


def _ids(rows: list[Any]) -> list[str]:
    return [f"{r[0]}{r[1]}" for r in rows]


@pytest.mark.parametrize(("name", "inputs", "first", "second"), ROWS, ids=_ids(ROWS))
def test_first_and_second_derivative_at_the_edges(name, inputs, first, second):
    got_first, got_rows = derivatives(name, inputs)
    if len(inputs) == 1 and not isinstance(first, tuple):
        first, second = (first,), ((second,),)
    want_first = [float(d) for d in first]
    want_rows = [[float(h) for h in row] for row in second]
    assert len(got_first) == len(want_first)
    assert [len(row) for row in got_rows] == [len(row) for row in want_rows]
    assert all(map(same, got_first, want_first)), (got_first, want_first)
    for got_row, want_row in zip(got_rows, want_rows, strict=True):
        assert all(map(same, got_row, want_row)), (got_rows, want_rows)


@pytest.mark.parametrize(("name", "inputs", "error"), ERRORS, ids=_ids(ERRORS))
def test_outside_the_domain_is_an_error(name, inputs, error):
    op = op_named(name)
    with pytest.raises(error):
        op(*[Value(x) for x in inputs])


def _registered_by_the_engine() -> list[str]:
    # In a fresh interpreter: ops registered by other tests or by nn (softplus...) are not
    # the engine's own.
    code = "import json, autograd_core; print(json.dumps(sorted(autograd_core.registered_ops())))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_every_op_has_rows_at_zero_infinities_and_nan():
    # A new op in the table fails here until its edges are written down above.
    points = {name: set() for name in _registered_by_the_engine()}
    points.update({"**0.5": set(), "**2": set(), "**-1": set()})  # the x ** k family
    for name, inputs, *_ in [*ROWS, *ERRORS]:
        if name in points:
            points[name].update(_kind(x) for x in inputs)
    missing = {name: {"0", "inf", "-inf", "nan"} - seen for name, seen in points.items()}
    assert not {name: m for name, m in missing.items() if m}, missing


def _kind(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "0" if x == 0 else "finite"


# --------------------------------------------------------------------------- the cases
def test_second_derivative_of_sqrt_at_zero_is_minus_inf():
    sqrt = ops.sqrt
    assert grad(sqrt)(0.0) == inf
    assert grad(grad(sqrt))(0.0) == -inf
    # and the third is +inf (3/8 x ** -2.5), as PyTorch
    assert grad(grad(grad(sqrt)))(0.0) == inf
    # sqrt(x - 1) at x = 1: what the command line prints as d2/dx2
    assert grad(grad(lambda x: (x - 1).sqrt()))(1.0) == -inf


def test_x_to_the_x_at_zero_has_a_first_derivative_of_zero():
    # 0 ** 0 = 1; d/da = 0 (b = 0) and d/db = 0 (a = 0), as PyTorch; the second derivative
    # is 0 here too (every term is a flat 0). torch: NaN, from 0 * log(0) in its masks.
    f = lambda x: x**x  # noqa: E731
    assert grad(f)(0.0) == 0.0
    assert grad(grad(f))(0.0) == 0.0
    assert grad(grad(f))(1.0) == 2.0  # x**x ((ln x + 1)**2 + 1/x) at 1


def test_tiny_base_to_a_zero_value_exponent_is_flat_like_a_constant_zero():
    a, b = Value(TINY), Value(0.0)
    (a**b).backward()
    assert a.grad == 0.0 and b.grad == LN_TINY
    c = Value(TINY)
    (c**0).backward()
    assert c.grad == 0.0


def test_a_nan_first_derivative_has_nan_second_derivatives():
    # d/db of (-2) ** b is NaN; it used to be a float NaN, whose own derivative was 0.
    a, b = Value(-2.0), Value(3.0)
    (_, db) = gradients(a**b, [a, b], create_graph=True)
    assert math.isnan(db.data)
    assert all(math.isnan(h) for h in gradients(db, [a, b]))


def test_an_infinite_slope_under_anomaly_mode_names_the_op_not_its_helper():
    from autograd_core import detect_anomaly

    x = Value(0.0)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="backward of op 'sqrt'"):
        gradients(x.sqrt(), [x], create_graph=True)

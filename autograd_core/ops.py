"""The op table: every built-in primitive, its forward value and its local derivatives.

One entry per op, grouped by family. A derivative rule takes the inputs and the output,
``(x, out)`` or ``(a, b, out)``, and is plain arithmetic, so it runs on floats in the fast
backward pass and on Values under ``create_graph=True`` (second derivatives come for free).
A float in place of a rule is a constant derivative. ``check`` returns the error for inputs
outside the op's domain. To add ``sinh``, add one entry here::

    sinh = primitive("sinh", math.sinh, lambda x, out: cosh(x), method=True, check=...)

Activations: ``relu``, ``tanh``, ``sigmoid``, ``leaky_relu`` (slope 0.01;
``leaky_relu(x, slope=0.2)`` or the op ``leaky_relu.at(slope=0.2)`` for another), ``elu``
(``alpha`` 1), ``softplus`` and ``gelu`` (the tanh approximation), each also a method
(``x.gelu()``, ``x.leaky_relu(slope=0.2)``).

Conventions at kinks: ``relu'(0) = 0`` and ``abs'(0) = 0`` (as PyTorch). Results follow IEEE
arithmetic: NaN and infinities pass through, ``exp(1000)`` is ``inf``; only true domain errors
(``log(0)``, ``sqrt(-1)``, ``x / 0``, ``0 ** -1``, ``(-8) ** (1/3)``) raise.

At the edges, first and second derivatives agree with PyTorch (``tests/test_rule_edges.py``
has the table, and the few deliberate differences): ``sqrt`` and ``x ** k`` (0 < k < 1) have
slope ``inf`` at 0 and second derivative ``-inf``; ``a ** 0`` is flat in ``a`` and ``0 ** b``
flat in ``b`` (0, also where the formula is ``0 * inf``); ``d/db`` of a negative base is NaN,
and so are its derivatives; ``relu'(nan) = 1`` and ``abs'(nan) = 0``, as PyTorch.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Any

from . import mode as _mode
from .primitives import (
    DivisionByZero,
    DomainError,
    Op,
    _unary_method,
    install,
    primitive,
    record,
    register,
)
from .value import Value, lift, to_float

inf = math.inf
nan = math.nan


# --------------------------------------------------------------------------- float helpers
def _num(x: Any) -> float:
    """The number behind a float or a Value (for branches inside rules)."""
    return x.data if isinstance(x, Value) else x


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)  # x < 0 here, or NaN, which falls through to NaN
    return e / (1.0 + e)


def _periodic(fn: Any) -> Any:
    # math.sin(inf) raises; IEEE says NaN.
    return lambda x: fn(x) if x - x == 0 else nan


def _pow(a: float, b: float) -> float:
    try:
        result = a**b
    except OverflowError:
        return -inf if a < 0 and b % 2 == 1 else inf
    except ZeroDivisionError:  # only from a derivative rule at a = 0: the slope is infinite
        return inf
    return result


def _power(a: Any, b: Any) -> Any:
    """``a ** b`` for floats (overflow to inf) or Values (a recorded node)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a**b
    return _pow(a, b)


# The slope of sqrt and of x ** k (0 < k < 1) at 0 is k / 0 = inf, and the slope of that slope
# is -inf (as PyTorch's grad / (2 * sqrt(x)) gives). ``/`` refuses a zero divisor, so the rules
# divide by this op instead: 1/x with 1/0 = +inf, used only for x >= 0. It is not registered:
# it is no op for users, it only appears in the graph of a derivative under create_graph.
_RECIPROCAL = Op("reciprocal", lambda x: 1 / x if x else inf, (lambda x, out: -out * out,),
                 arity=1, doc="1/x with 1/0 = inf (inside derivatives of sqrt and x ** k).",
                 formulas=("-{out}**2",), reduce="autograd_core.ops._RECIPROCAL")
_QUIET = _mode._ModeChange(anomaly=False)


def _pole(k: Any, base: Any) -> Any:
    """``k / base`` for a ``base`` holding 0: inf, and a Value whose own derivative is -inf.

    Anomaly checks are off while it is built: the inf is the derivative, and anomaly mode
    reports it as the gradient of the op whose rule this is, not as an op of its own.
    """
    if type(base) is float:
        return k * inf
    with _QUIET:
        return k * _RECIPROCAL(base)


# --------------------------------------------------------------------------- array helpers
# Array versions (``array=`` on an op) are for the tape's lane replay (autograd_core.tape):
# the same formula on 1-d NumPy arrays, one lane per element, a branch written as a
# ``where``. NumPy is imported when one of them first runs, never by the engine itself; the
# tape runs them with floating-point warnings silenced (IEEE results, as the float versions).
def _np() -> Any:
    import numpy

    return numpy


def _lane_check(check: Any, bad: Any) -> Any:
    """An array check from a float ``check`` and ``bad(*inputs)``, the lanes outside the
    domain: the float check's error at the first bad lane, naming the lane."""

    def array_check(*inputs: Any) -> Exception | None:
        np = _np()
        mask = np.asarray(bad(*inputs))
        if not mask.any():
            return None
        mask = np.broadcast_to(mask, np.broadcast_shapes(*(np.shape(x) for x in inputs)))
        lane = int(np.flatnonzero(mask)[0])
        at = [float(x[lane]) if getattr(x, "ndim", 0) else x for x in inputs]
        err = check(*at)
        if isinstance(err, Exception):
            err.add_note(f"(in lane {lane} of {mask.size})")
        return err

    return array_check


def _where(condition: Any, yes: Any, no: Any) -> Any:
    return _np().where(condition, yes, no)


# --------------------------------------------------------------------------- domain checks
def _check_div(a: float, b: float) -> Exception | None:
    if b == 0:
        return DivisionByZero(f"division by zero in {a!r} / {b!r}: the divisor is 0")
    return None


def _check_pow(a: float, b: float) -> Exception | None:
    if a == 0 and b < 0:
        return DivisionByZero(
            f"0.0 ** {b!r}: zero to a negative power divides by zero; keep the base nonzero"
        )
    if a < 0 and math.isfinite(b) and not float(b).is_integer():
        return DomainError(
            f"({a!r}) ** {b!r}: a negative base to a non-integer power has no real value; "
            "use a positive base or an integer exponent"
        )
    return None


def _check_log(x: float) -> Exception | None:
    if x <= 0:
        return DomainError(f"log(x) needs x > 0, got x = {x!r}")
    return None


def _check_sqrt(x: float) -> Exception | None:
    if x < 0:
        return DomainError(f"sqrt(x) needs x >= 0, got x = {x!r}")
    return None


# --------------------------------------------------------------------------- arithmetic
add = install(primitive("+", operator.add, 1.0, 1.0, doc="a + b", formulas=("1", "1"),
                        array={}), dunder="add")
sub = install(primitive("-", operator.sub, 1.0, -1.0, doc="a - b", formulas=("1", "-1"),
                        array={}), dunder="sub")
mul = install(
    primitive("*", operator.mul, lambda a, b, out: b, lambda a, b, out: a, doc="a * b",
              formulas=("{b}", "{a}"), array={}),
    dunder="mul",
)
div = install(
    primitive(
        "/", operator.truediv,
        lambda a, b, out: 1 / b,
        lambda a, b, out: -out / b,
        check=_check_div, doc="a / b", formulas=("1/{b}", "-{out}/{b}"),
        array={"check": _lane_check(_check_div, lambda a, b: b == 0)},
    ),
    dunder="truediv",
)


def _dpow_base(a: Any, b: Any, out: Any) -> Any:
    na = _num(a)
    nb = _num(b)
    if na == 0 and nb < 1:  # b in (0, 1): 0 ** (b - 1) is a pole; b = 0: a ** 0 is flat
        return 0.0 if nb == 0 else _pole(b, a ** (1 - b))
    if nb == 0 and (type(a) is float or not math.isfinite(1 / na)):
        # a ** 0 is flat: 0 (as PyTorch) also where a ** -1 overflows and the formula would
        # give 0 * inf. A Value elsewhere keeps the formula, so d2/db da = 1/a (PyTorch: 0).
        return 0.0
    # For b >= 1 the general formula holds at a = 0 too, and (as a Value under create_graph)
    # keeps its dependence on a: d2(x**2)/dx2 at 0 is 2, not 0.
    return b * _power(a, b - 1)


def _dpow_exponent(a: Any, b: Any, out: Any) -> Any:
    na = _num(a)
    if na > 0:
        return out * log(a)
    if na == 0 and _num(b) >= 0:  # 0 ** b is flat in b (0, or 1 at b = 0): 0, as PyTorch
        return 0.0
    # No real log for a < 0 (or NaN): NaN, as PyTorch, and NaN to every order (out * nan
    # keeps the dependence on a and b; a float nan would make the next derivative 0).
    return out * nan


def _pow_domain(a: Any, b: Any) -> Any:
    np = _np()
    return ((a == 0) & (b < 0)) | ((a < 0) & np.isfinite(b) & (b != np.floor(b)))


def _array_dpow_base(a: Any, b: Any, out: Any) -> Any:
    # as _dpow_base: flat where b = 0, a pole at a = 0 for b in (0, 1), else b a ** (b - 1)
    return _where(b == 0, 0.0, _where((a == 0) & (b < 1), inf, b * a ** (b - 1)))


def _array_dpow_exponent(a: Any, b: Any, out: Any) -> Any:
    return _where(a > 0, out * _np().log(a), _where((a == 0) & (b >= 0), 0.0, out * nan))


power = primitive("**", _pow, _dpow_base, _dpow_exponent, check=_check_pow, doc="a ** b",
                  formulas=("{b} * {a}**({b} - 1)", "{out} * log({a})"),
                  array={"forward": lambda a, b: a ** b,
                         "rules": (_array_dpow_base, _array_dpow_exponent),
                         "check": _lane_check(_check_pow, _pow_domain)})
neg = install(primitive("neg", operator.neg, -1.0, doc="-x", formulas=("-1",), array={}),
              dunder="neg")


@lru_cache(maxsize=256)
def power_by(k: float) -> Op:
    """The op ``x ** k`` for a constant ``k`` (one node, one parent, as micrograd's ``**2``)."""

    def check(x: float) -> Exception | None:
        return _check_pow(x, k)

    array: dict[str, Any] = {"forward": lambda x: x ** k,
                             "check": _lane_check(check, lambda x: _pow_domain(x, k))}
    if k == 0:  # a constant: a float rule (0 * x**-1 would be NaN at tiny x, and at NaN)
        rules: tuple[Any, ...] = (0.0,)
    elif 0 < k < 1:  # x ** (k - 1) has a pole at 0: slope inf there, then -inf, as PyTorch

        def rule(x: Any, out: Any) -> Any:
            return _pole(k, x ** (1 - k)) if _num(x) == 0 else k * _power(x, k - 1)

        rules = (rule,)
        array["rules"] = (lambda x, out: _where(x == 0, inf, k * x ** (k - 1)),)
    else:
        rules = (lambda x, out: k * _power(x, k - 1),)
    return Op(f"**{k:g}", lambda x: _pow(x, k), rules, arity=1, check=check,
              doc=f"x ** {k:g}", formulas=(f"{k:g} * {{x}}**{k - 1:g}",),
              reduce=(power_by, (k,)), array=array)  # pickled as the call that makes it


# --------------------------------------------------------------------------- unary functions
exp = primitive("exp", _exp, lambda x, out: out, method=True, doc="e ** x (inf past ~709.78)",
                formulas=("{out}",), array={"forward": lambda x: _np().exp(x)})
log = primitive("log", math.log, lambda x, out: 1 / x, check=_check_log, method=True,
                doc="Natural logarithm, x > 0.", formulas=("1/{x}",),
                array={"forward": lambda x: _np().log(x),
                       "check": _lane_check(_check_log, lambda x: x <= 0)})


def _dsqrt(x: Any, out: Any) -> Any:
    if type(out) is float:
        return 0.5 / out if out else inf  # NaN stays NaN; +inf at 0 and -0.0 (PyTorch: -inf)
    return 0.5 / out if out.data else _pole(0.5, out)


def _array_sigmoid(x: Any) -> Any:
    np = _np()
    e = np.exp(x)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), e / (1.0 + e))


sqrt = primitive("sqrt", math.sqrt, _dsqrt, check=_check_sqrt, method=True,
                 doc="Square root, x >= 0 (slope inf at 0).", formulas=("0.5/{out}",),
                 array={"forward": lambda x: _np().sqrt(x),
                        "rules": (lambda x, out: _where(out != 0, 0.5 / out, inf),),
                        "check": _lane_check(_check_sqrt, lambda x: x < 0)})
tanh = primitive("tanh", math.tanh, lambda x, out: 1 - out * out, method=True,
                 doc="Hyperbolic tangent.", formulas=("(1 - {out}**2)",),
                 array={"forward": lambda x: _np().tanh(x)})
sigmoid = primitive("sigmoid", _sigmoid, lambda x, out: out * (1 - out), method=True,
                    doc="1 / (1 + e**-x), stable for large |x|.",
                    formulas=("{out} * (1 - {out})",), array={"forward": _array_sigmoid})
relu = primitive("relu", lambda x: 0.0 if x <= 0 else x,
                 lambda x, out: 0.0 if x <= 0 else 1.0, method=True,
                 doc="max(0, x); its derivative at 0 is taken as 0.",
                 formulas=("({x} > 0)",),
                 array={"forward": lambda x: _where(x <= 0, 0.0, x),
                        "rules": (lambda x, out: _where(x <= 0, 0.0, 1.0),)})
sin = primitive("sin", _periodic(math.sin), lambda x, out: cos(x), method=True, doc="Sine.",
                formulas=("cos({x})",),
                array={"forward": lambda x: _np().sin(x), "rules": (lambda x, out: _np().cos(x),)})
cos = primitive("cos", _periodic(math.cos), lambda x, out: -sin(x), method=True, doc="Cosine.",
                formulas=("-sin({x})",),
                array={"forward": lambda x: _np().cos(x),
                       "rules": (lambda x, out: -_np().sin(x),)})
absolute = install(
    primitive("abs", abs, lambda x, out: 1.0 if x > 0 else (-1.0 if x < 0 else 0.0),
              doc="|x|; its derivative at 0 is taken as 0.", formulas=("sign({x})",),
              array={"rules": (lambda x, out: _where(x > 0, 1.0, _where(x < 0, -1.0, 0.0)),)}),
    dunder="abs",
)


# --------------------------------------------------------------------------- activations
# Each rule works on floats and on Values (second derivatives). At the edges they follow
# PyTorch's kernels: leaky_relu'(0) = slope (x > 0 ? 1 : slope, so NaN gets the slope too),
# elu'(0) = alpha (x <= 0 ? alpha e**x : 1, so NaN gets 1), softplus' = sigmoid. gelu is the
# tanh approximation 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x**3), computed as
# x * sigmoid(2u) (the same number, no inf * 0): gelu(-inf) = 0 and slope 0, gelu(inf) = inf
# and slope 1, the limits (PyTorch's formula gives NaN at both).
class ParametrisedOp(Op):
    """A one-input op with a constant parameter: ``leaky_relu(x)`` uses the default slope,
    ``leaky_relu(x, slope=0.2)`` another; ``leaky_relu.at(slope=0.2)`` is that op itself
    (named ``leaky_relu(slope=0.2)``, usable as a neuron's activation).
    """

    __slots__ = ("parameter", "value", "family")

    def at(self, **parameter: Any) -> Op:
        """The op with this parameter, e.g. ``leaky_relu.at(slope=0.2)`` (made once)."""
        if len(parameter) != 1 or self.parameter not in parameter:
            raise TypeError(
                f"{self.name.partition('(')[0]} takes one parameter, {self.parameter}=number; "
                f"got {', '.join(parameter) or 'none'}"
            )
        value = to_float(parameter[self.parameter], self.parameter)
        if not math.isfinite(value):
            raise ValueError(f"{self.parameter} must be a finite number, got {value!r}")
        return self.family(value)

    def __call__(self, *args: Any, **parameter: Any) -> Any:
        if parameter:
            return self.at(**parameter)(*args)
        return Op.__call__(self, *args)


def _parametrised(base: str, parameter: str, default: float, family: Any, value: float,
                  forward: Any, rule: Any, doc: str, formula: str,
                  array: dict[str, Any]) -> ParametrisedOp:
    name = base if value == default else f"{base}({parameter}={value!r})"
    op = ParametrisedOp(name, forward, (rule,), arity=1, doc=doc, formulas=(formula,),
                        reduce=None if value == default else (family, (value,)), array=array)
    op.parameter, op.value, op.family = parameter, value, family
    return op


def _method(op: ParametrisedOp) -> Any:
    """``x.leaky_relu()`` (the fast path) and ``x.leaky_relu(slope=0.2)``."""
    fast = _unary_method(op)

    def method(self: Value, **parameter: Any) -> Value:
        return op.at(**parameter)(self) if parameter else fast(self)

    method.__name__, method.__doc__ = op.name, op.doc
    method.__autograd_op__ = op  # type: ignore[attr-defined]
    return method


@lru_cache(maxsize=256)
def leaky_relu_at(slope: float) -> ParametrisedOp:
    """The op ``x if x > 0 else slope * x`` (``leaky_relu`` itself for the default 0.01)."""
    return _parametrised(
        "leaky_relu", "slope", 0.01, leaky_relu_at, slope,
        lambda x: x if x > 0 else slope * x,
        lambda x, out: 1.0 if x > 0 else slope,
        f"x if x > 0 else {slope:g} * x.", f"(1 if {{x}} > 0 else {slope:g})",
        {"forward": lambda x: _where(x > 0, x, slope * x),
         "rules": (lambda x, out: _where(x > 0, 1.0, slope),)},
    )


@lru_cache(maxsize=256)
def elu_at(alpha: float) -> ParametrisedOp:
    """The op ``x if x > 0 else alpha * (e**x - 1)`` (``elu`` itself for the default 1)."""
    return _parametrised(
        "elu", "alpha", 1.0, elu_at, alpha,
        lambda x: x if x > 0 else alpha * math.expm1(x),
        lambda x, out: alpha * (_exp(x) if type(x) is float else exp(x)) if x <= 0 else 1.0,
        f"x if x > 0 else {alpha:g} * (e**x - 1).", f"(1 if {{x}} > 0 else {alpha:g} * exp({{x}}))",
        {"forward": lambda x: _where(x > 0, x, alpha * _np().expm1(x)),
         "rules": (lambda x, out: _where(x <= 0, alpha * _np().exp(x), 1.0),)},
    )


leaky_relu = register(leaky_relu_at(0.01))
elu = register(elu_at(1.0))
Value.leaky_relu = _method(leaky_relu)  # type: ignore[attr-defined]
Value.elu = _method(elu)  # type: ignore[attr-defined]


def _softplus(x: float) -> float:
    if x > 0:
        return x + math.log1p(_exp(-x))
    return math.log1p(_exp(x))  # NaN stays NaN


def _array_softplus(x: Any) -> Any:
    np = _np()
    return np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))


softplus = primitive("softplus", _softplus,
                     lambda x, out: _sigmoid(x) if type(x) is float else sigmoid(x),
                     method=True, doc="log(1 + e**x), stable for any x.",
                     formulas=("sigmoid({x})",),
                     array={"forward": _array_softplus,
                            "rules": (lambda x, out: _array_sigmoid(x),)})

_GELU_C = math.sqrt(2 / math.pi)
_GELU_K = 0.044715


def _gelu(x: float) -> float:
    if x in (inf, -inf):
        return x if x > 0 else 0.0
    return x * _sigmoid(2 * _GELU_C * (x + _GELU_K * x * x * x))


def _dgelu(x: Any, out: Any) -> Any:
    n = _num(x)
    if n in (inf, -inf):
        return 1.0 if n > 0 else 0.0
    u2 = 2 * _GELU_C * (x + _GELU_K * x * x * x)
    s = _sigmoid(u2) if type(x) is float else sigmoid(u2)
    if _num(s) in (0.0, 1.0):  # saturated: flat to float precision (and no 0 * inf)
        return _num(s)
    return s + x * s * (1 - s) * (2 * _GELU_C) * (1 + 3 * _GELU_K * x * x)


def _array_gelu(x: Any) -> Any:
    np = _np()
    return np.where(np.isinf(x), np.where(x > 0, x, 0.0),
                    x * _array_sigmoid(2 * _GELU_C * (x + _GELU_K * x * x * x)))


def _array_dgelu(x: Any, out: Any) -> Any:
    np = _np()
    s = _array_sigmoid(2 * _GELU_C * (x + _GELU_K * x * x * x))
    inner = s + x * s * (1 - s) * (2 * _GELU_C) * (1 + 3 * _GELU_K * x * x)
    return np.where(np.isinf(x), np.where(x > 0, 1.0, 0.0),
                    np.where((s == 0.0) | (s == 1.0), s, inner))


gelu = primitive("gelu", _gelu, _dgelu, method=True,
                 doc="GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))).",
                 formulas=("gelu'({x})",),
                 array={"forward": _array_gelu, "rules": (_array_dgelu,)})


# --------------------------------------------------------------------------- n-ary
def _dot_forward(d: list[float]) -> float:
    n = len(d) // 2
    return sum(map(operator.mul, d[:n], d[n : 2 * n]), d[2 * n] if len(d) % 2 else 0.0)


def _dot_rule(d: list[Any], out: Any) -> list[Any]:
    n = len(d) // 2
    return d[n : 2 * n] + d[:n] + ([1.0] if len(d) % 2 else [])


def _dot_accumulate(parents: tuple[Value, ...], g: float) -> None:
    # The rule above, on floats, applied in place and in the parents' order (so that a value
    # used twice sums its gradient exactly as the rule would): w_i += g * x_i, then
    # x_i += g * w_i, then b += g.
    n = len(parents) // 2
    weights = parents[:n]
    inputs = parents[n : 2 * n]
    for w, x in zip(weights, inputs):  # noqa: B905  (equal lengths by construction)
        w.grad += g * x.data
    for w, x in zip(weights, inputs):  # noqa: B905
        x.grad += g * w.data
    if len(parents) % 2:
        parents[-1].grad += g


def _sum_accumulate(parents: tuple[Value, ...], g: float) -> None:
    for p in parents:
        p.grad += g


def _dot_formulas(names: list[str], out: str) -> list[str]:
    n = len(names) // 2
    return names[n : 2 * n] + names[:n] + (["1"] if len(names) % 2 else [])


_dot = primitive("dot", _dot_forward, _dot_rule, variadic=True,
                 doc="w . x (+ b): parents are w..., x..., then b if given.",
                 formulas=_dot_formulas, accumulate=_dot_accumulate, array={})
_sum = primitive("sum", sum, lambda d, out: [1.0] * len(d), variadic=True,
                 doc="Left-to-right sum of any number of inputs.",
                 formulas=lambda names, out: ["1"] * len(names), accumulate=_sum_accumulate,
                 array={})


def _items(values: Any, call: str, what: str, hint: str, *, ordered: bool) -> Sequence[Any]:
    """``values`` as a list or tuple; a TypeError that names ``call`` for anything else.

    Refused: a single number or Value, a str, a dict (its keys would be summed), and for an
    ``ordered`` argument a set (``dot`` pairs items by position).
    """
    if type(values) is list or type(values) is tuple:
        return values
    bad = isinstance(values, (str, bytes, bytearray, Value, Mapping)) or (
        ordered and isinstance(values, AbstractSet)
    )
    if not bad:
        try:
            iterator = iter(values)
        except TypeError:
            bad = True
    if bad:
        raise TypeError(
            f"{call} needs {what} as a list of numbers or Values, got {type(values).__name__} "
            f"{values!r:.60}; {hint}"
        )
    return tuple(iterator)


def _as_values(items: Sequence[Any], call: str, what: str) -> list[Value]:
    """Each item a Value: numbers become constant leaves; the error names the bad position."""
    return [
        p if isinstance(p, Value) else Value(to_float(p, f"{call}: {what}[{i}]"))
        for i, p in enumerate(items)
    ]


def dot(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = None) -> Value:
    """``bias + w0*x0 + w1*x1 + ...`` as one node, summed in that order (a neuron's pre-activation).

    ``weights`` and ``inputs`` are lists (or tuples, or other ordered iterables) of the same
    length, of numbers or Values; ``bias`` is one number or Value.

    >>> from autograd_core import Value, dot
    >>> w = [Value(1.0), Value(2.0)]
    >>> dot(w, [3.0, 4.0], bias=0.5).data
    11.5
    """
    hint = "for example dot([w0, w1], [x0, x1], bias=b)"
    if type(weights) is not list and type(weights) is not tuple:
        weights = _items(weights, "dot(weights, inputs, bias=None)", "weights", hint, ordered=True)
    if type(inputs) is not list and type(inputs) is not tuple:
        inputs = _items(inputs, "dot(weights, inputs, bias=None)", "inputs", hint, ordered=True)
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(
            f"dot needs as many weights as inputs, got {n} weights and {len(inputs)} inputs"
        )
    parents = (*weights, *inputs) if bias is None else (*weights, *inputs, bias)
    if {*map(type, parents)} != _ONLY_VALUES:  # numbers among them: make them constant leaves
        parents = (*_as_values(weights, "dot", "weights"), *_as_values(inputs, "dot", "inputs"))
        if bias is not None:
            if isinstance(bias, (list, tuple)):
                raise TypeError(
                    f"dot: bias must be one number or Value, got {type(bias).__name__} "
                    f"{bias!r:.60}; it is added once, after the products"
                )
            if not isinstance(bias, Value):
                bias = Value(to_float(bias, "dot: bias"))
            parents = (*parents, bias)
    return record(_dot, _dot_forward([p.data for p in parents]), parents)


_ONLY_VALUES = {Value}


def sum_of(values: Sequence[Any]) -> Value:
    """The sum of many values as one node (left to right), cheaper than a chain of ``+``.

    ``values`` is a list (or any iterable) of numbers or Values; numbers only give a float.
    """
    values = _items(values, "sum_of", "values", "for one value, sum_of([x])", ordered=False)
    if not values:
        raise ValueError("sum_of needs at least one value; got an empty sequence")
    if {*map(type, values)} != _ONLY_VALUES:
        if not any(isinstance(v, Value) for v in values):  # numbers only: a float
            return _sum.evaluate(
                [to_float(v, f"sum_of: values[{i}]") for i, v in enumerate(values)]
            )
        values = _as_values(values, "sum_of", "values")
    return _sum(values)


# --------------------------------------------------------------------------- the ** operator
def _value_pow(self: Value, exponent: Any) -> Value:
    if isinstance(exponent, Value):
        return power(self, exponent)
    return power_by(to_float(exponent, "exponent"))(self)


def _value_rpow(self: Value, base: Any) -> Value:
    return power(lift(base), self)


Value.__pow__ = _value_pow  # type: ignore[method-assign]
Value.__rpow__ = _value_rpow  # type: ignore[attr-defined]

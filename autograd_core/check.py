"""Check reverse-mode derivatives against central finite differences: ``gradcheck``.

>>> from autograd_core import gradcheck, gradgradcheck
>>> gradcheck(lambda x, y: (x * y).tanh(), 0.3, -1.2)
True
>>> gradgradcheck(lambda x: x.sin() * x, 0.7)
True

Why the defaults are what they are (they match PyTorch's ``gradcheck``):

- ``eps=1e-6``: the step of the central difference ``(f(x+eps) - f(x-eps)) / (2 eps)``. Its
  truncation error is about ``eps**2 * |f'''| / 6`` (1e-13 for a well-behaved ``f``); its
  rounding error is about ``|f| * 1e-16 / eps`` (1e-10 for ``|f|`` near 1). The sum is
  smallest for ``eps`` between 1e-6 and 1e-5, and the smaller step keeps the two evaluation
  points close to ``x``, so points near a kink or a domain edge still work.
- ``atol=1e-5``: a derivative that is truly 0 comes out of finite differences as rounding
  noise of ``|f| * 1e-10``; 1e-5 accepts that noise for values of ``f`` up to about 1e4 and
  still catches any real mistake in a rule.
- ``rtol=1e-3``: large derivatives carry large absolute noise (``exp(20)`` has a derivative
  of 5e8, known to about 1e-2 absolute), so the tolerance grows with ``|numeric|``. A wrong
  rule is almost never within 0.1%, while the noise is far below it.

A derivative passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import mode as _mode
from .functional import hessian, value_and_grad
from .primitives import Op
from .value import Value, to_float

__all__ = ["GradcheckError", "Mismatch", "gradcheck", "gradgradcheck"]


@dataclass(frozen=True)
class Mismatch:
    """One derivative that disagrees with finite differences."""

    what: str  # "d/dx" or "d2/dx dy"
    analytic: float
    numeric: float
    error: float
    allowed: float


class GradcheckError(AssertionError):
    """Reverse-mode derivatives disagree with finite differences. ``mismatches`` lists them.

    An ``AssertionError``, so a failing check reads as a failed test, not a crashed one.
    """

    def __init__(self, message: str, mismatches: Sequence[Mismatch] = ()) -> None:
        super().__init__(message)
        self.mismatches = tuple(mismatches)


def _as_function(f: Any) -> Callable[..., Any]:
    if isinstance(f, Op) and f.arity is None:  # a variadic op takes one list
        op = f
        return lambda *xs: op(list(xs))
    if not callable(f):
        raise TypeError(f"gradcheck needs a function of Values (or an Op), got {type(f).__name__}")
    return f


def _prepare(f: Any, inputs: tuple[Any, ...], eps: Any, atol: Any, rtol: Any, who: str):
    fn = _as_function(f)
    if not inputs:
        raise ValueError(f"{who} needs at least one input: {who}(f, 1.5, -0.3)")
    points = []
    names = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            points.append(x.data)
            names.append(x.label or f"x{i}")
        else:
            points.append(to_float(x, f"{who} input {i}"))
            names.append(f"x{i}")
        if not math.isfinite(points[-1]):
            raise ValueError(f"{who}: input {names[-1]} is {points[-1]!r}; inputs must be finite")
    tolerances = {}
    for key, val in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        num = to_float(val, key)
        if not (math.isfinite(num) and num >= 0) or (key == "eps" and num == 0):
            raise ValueError(f"{who}: {key} must be a finite number > 0 (>= 0 for tolerances), "
                             f"got {val!r}")
        tolerances[key] = num
    return fn, points, names, tolerances["eps"], tolerances["atol"], tolerances["rtol"]


def _name(f: Any) -> str:
    return getattr(f, "name", None) or getattr(f, "__name__", None) or type(f).__name__


def _evaluate(
    fn: Callable[..., Any], point: list[float], who: str, names: list[str], nudged: bool = True
) -> float:
    """``f`` at ``point`` as a float, recording nothing."""
    with _mode.no_grad():
        try:
            out = fn(*[Value(x, n) for x, n in zip(point, names, strict=True)])
        except ValueError as exc:  # DomainError and friends
            if not nudged:  # the user's own point: their error as it is
                raise
            shown = ", ".join(f"{n}={x!r}" for n, x in zip(names, point, strict=True))
            raise ValueError(
                f"{who}: f is not defined at a finite-difference point ({shown}): {exc}. Move the "
                "inputs further from the edge of f's domain, or pass a smaller eps"
            ) from exc
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return one Value, got {type(out).__name__} {out!r:.60}")
    return out.data


def _central(g: Callable[[list[float]], Any], point: list[float], j: int, eps: float) -> Any:
    up = list(point)
    up[j] += eps
    down = list(point)
    down[j] -= eps
    hi, lo = g(up), g(down)
    step = up[j] - down[j]  # the step actually taken, after rounding
    if isinstance(hi, tuple):
        return tuple((h - d) / step for h, d in zip(hi, lo, strict=True))
    return (hi - lo) / step


def _compare(what: str, analytic: float, numeric: float, atol: float, rtol: float):
    allowed = atol + rtol * abs(numeric)
    error = abs(analytic - numeric)
    ok = analytic == numeric or error <= allowed  # inf == inf passes; NaN never does
    return None if ok else Mismatch(what, analytic, numeric, error, allowed)


def _report(
    who: str, f: Any, names: list[str], point: list[float], rows: list[tuple[str, float, float]],
    mismatches: list[Mismatch], eps: float, atol: float, rtol: float,
) -> str:
    shown = ", ".join(f"{n}={x!r}" for n, x in zip(names, point, strict=True))
    lines = [
        f"{who} failed for {_name(f)} at ({shown}): {len(mismatches)} of {len(rows)} "
        f"derivative(s) disagree with central differences (eps={eps:g}; a derivative passes "
        f"when |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)",
        f"  {'derivative':<16} {'analytic':>22} {'numeric':>22} {'error':>11} {'allowed':>11}",
    ]
    bad = {m.what for m in mismatches}
    for what, analytic, numeric in rows:
        allowed = atol + rtol * abs(numeric)
        error = abs(analytic - numeric)
        flag = "  <-- MISMATCH" if what in bad else ""
        lines.append(
            f"  {what:<16} {analytic!r:>22} {numeric!r:>22} {error:>11.3g} {allowed:>11.3g}{flag}"
        )
    return "\n".join(lines)


def gradcheck(
    f: Callable[..., Any] | Op,
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the reverse-mode gradient of ``f`` at ``inputs`` with central differences.

    ``f`` takes one Value per input and returns one Value (an ``Op`` works too). Returns True
    when every partial derivative matches; otherwise raises :class:`GradcheckError` listing
    each input with its analytic and numeric derivative and the error.

    >>> from autograd_core import Op, gradcheck
    >>> bad = Op("bad_square", lambda x: x * x, [lambda x, out: 3 * x], arity=1)  # not 2x
    >>> gradcheck(bad, 1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autograd_core.check.GradcheckError: gradcheck failed for bad_square at (x0=1.5): ...
    """
    fn, point, names, eps, atol, rtol = _prepare(f, inputs, eps, atol, rtol, "gradcheck")
    _evaluate(fn, point, "gradcheck", names, nudged=False)  # clear errors for a bad f first
    _, analytic = value_and_grad(fn, tuple(range(len(point))))(*point)
    rows = []
    mismatches = []
    for j in range(len(point)):
        numeric = _central(lambda p: _evaluate(fn, p, "gradcheck", names), point, j, eps)
        what = f"d/d{names[j]}"
        rows.append((what, analytic[j], numeric))
        bad = _compare(what, analytic[j], numeric, atol, rtol)
        if bad is not None:
            mismatches.append(bad)
    if mismatches:
        raise GradcheckError(
            _report("gradcheck", f, names, point, rows, mismatches, eps, atol, rtol), mismatches
        )
    return True


def gradgradcheck(
    f: Callable[..., Any] | Op,
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare second derivatives of ``f`` (from ``create_graph``) with finite differences.

    Each entry d²f/dxi dxj of the Hessian, computed by differentiating the reverse-mode
    gradient again, is compared with the central difference of the reverse-mode gradient
    d f/dxi in direction xj. This checks that every derivative rule is itself correctly
    differentiable. Returns True or raises :class:`GradcheckError`.

    >>> from autograd_core import gradgradcheck
    >>> gradgradcheck(lambda x, y: x ** y, 1.3, 2.5)
    True
    """
    fn, point, names, eps, atol, rtol = _prepare(f, inputs, eps, atol, rtol, "gradgradcheck")
    _evaluate(fn, point, "gradgradcheck", names, nudged=False)
    everything = tuple(range(len(point)))
    first = value_and_grad(fn, everything)
    analytic = hessian(fn, everything)(*point)

    def gradient(p: list[float]) -> tuple[float, ...]:
        try:
            return first(*p)[1]
        except ValueError as exc:
            shown = ", ".join(f"{n}={x!r}" for n, x in zip(names, p, strict=True))
            raise ValueError(
                f"gradgradcheck: f is not defined at a finite-difference point ({shown}): {exc}"
            ) from exc

    rows = []
    mismatches = []
    for j in range(len(point)):
        column = _central(gradient, point, j, eps)
        for i in range(len(point)):
            what = f"d2/d{names[i]} d{names[j]}"
            rows.append((what, analytic[i][j], column[i]))
            bad = _compare(what, analytic[i][j], column[i], atol, rtol)
            if bad is not None:
                mismatches.append(bad)
    if mismatches:
        raise GradcheckError(
            _report("gradgradcheck", f, names, point, rows, mismatches, eps, atol, rtol),
            mismatches,
        )
    return True

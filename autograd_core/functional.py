"""Function transforms in the style of JAX: ``grad``, ``value_and_grad``, ``hessian``.

``f`` takes Values and returns one Value. The transformed function takes plain numbers and
returns plain floats; given Values instead, it returns Values that can be differentiated again,
which is what makes the transforms compose: ``grad(grad(f))`` is the second derivative.

>>> from autograd_core import grad
>>> f = lambda x: x ** 3
>>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
(12.0, 12.0, 6.0)

The transforms are built on :func:`autograd_core.gradients` and never read or write ``.grad``.

Recording modes. A transform always records the graph it needs, even when called inside
``no_grad()``: its result must not depend on a context manager outside ``f`` (as in
``torch.func``). A ``no_grad()`` block *inside* ``f`` is respected: what is computed there is a
constant, so no derivative flows through it (``grad(lambda x: x * stop(x))`` differentiates only
the first factor). When a transform is called with Values inside ``no_grad()``, the Values it
returns are constants (leaves), as any op would give there. The same holds for the engine:
``backward(create_graph=True)`` records the gradient's graph even inside ``no_grad()`` (it asks
for that graph explicitly), and nodes computed under ``no_grad()`` are constants to every order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from . import mode as _mode
from .graph import gradients
from .primitives import Op, record
from .value import Value, to_float

__all__ = ["grad", "hessian", "value_and_grad"]

# Each differentiated argument enters ``f`` as a fresh node whose one parent is the caller's
# Value (or a new leaf). Differentiating with respect to that node gives the partial derivative
# for that argument position even when the caller passes the same Value twice, and the chain
# back to the caller's Value is what lets an outer transform differentiate the result again.
_ARGUMENT = Op("argument", lambda x: x, (1.0,), arity=1, doc="An argument of a transformed f.",
               formulas=("1",), reduce="autograd_core.functional._ARGUMENT")

Argnums = int | Sequence[int]


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def _normalise_argnums(argnums: Any, what: str) -> tuple[tuple[int, ...], bool]:
    """``(argnums as a tuple, whether the caller gave one int)``; bad values raise."""
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple, list)):
        raise TypeError(
            f"{what}: argnums must be an int or a tuple of ints, got {type(argnums).__name__} "
            f"{argnums!r:.60}"
        )
    if isinstance(argnums, int):
        return (argnums,), True
    nums = tuple(argnums)
    if not nums:
        raise ValueError(f"{what}: argnums is empty; name at least one argument to differentiate")
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"{what}: argnums must hold ints, got {type(n).__name__} {n!r:.60}")
    if len(set(nums)) != len(nums):
        raise ValueError(f"{what}: argnums {nums!r} repeats an argument; list each one once")
    return nums, False


def _positional_limit(f: Callable[..., Any]) -> int | None:
    """How many positional arguments ``f`` accepts, or None if unlimited or unknown."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _check_f(f: Any, argnums: tuple[int, ...], what: str) -> None:
    if not callable(f):
        raise TypeError(f"{what} needs a function of Values, got {type(f).__name__} {f!r:.60}")
    limit = _positional_limit(f)
    if limit is not None:
        for n in argnums:
            if not -limit <= n < limit:
                raise ValueError(
                    f"{what}: argnums={n} is out of range: {_name(f)}() takes {limit} "
                    f"positional argument(s)"
                )


class _Call:
    """One call of a transformed function: its arguments lifted to fresh argument nodes."""

    __slots__ = ("args", "create_graph", "nodes", "positions", "values_in")

    def __init__(
        self,
        f: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        argnums: tuple[int, ...],
        what: str,
    ) -> None:
        # Read the caller's mode before anything switches recording on.
        recording = _mode.is_grad_enabled()
        try:
            inspect.signature(f).bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(
                f"{what}({_name(f)}): called with {len(args)} argument(s), which {_name(f)}() "
                f"does not accept: {exc}"
            ) from None
        except ValueError:  # no signature available (some builtins): let the call decide
            pass
        positions = []
        for n in argnums:
            if not -len(args) <= n < len(args):
                raise ValueError(
                    f"{what}({_name(f)}): argnums={n} is out of range for a call with "
                    f"{len(args)} argument(s)"
                )
            positions.append(n % len(args))
        if len(set(positions)) != len(positions):
            raise ValueError(
                f"{what}({_name(f)}): argnums {argnums!r} name the same argument twice"
            )
        self.positions = tuple(positions)
        self.values_in = any(isinstance(args[i], Value) for i in positions)
        # Results are differentiable when Values came in and the caller records a graph.
        self.create_graph = self.values_in and recording
        new_args = list(args)
        nodes = []
        with _mode.enable_grad():
            for i in positions:
                a = args[i]
                if isinstance(a, Value):
                    parent = a
                else:
                    parent = Value(to_float(a, f"argument {i} of {_name(f)}()"))
                node = record(_ARGUMENT, parent.data, (parent,))
                node.label = parent.label or f"arg{i}"
                nodes.append(node)
                new_args[i] = node
        self.nodes = nodes
        self.args = tuple(new_args)

    def output(self, out: Any, f: Callable[..., Any], what: str) -> Value:
        if not isinstance(out, Value):
            hint = (
                "; wrap a constant as Value(c), or combine several outputs into one scalar "
                "(for example with sum_of)"
            )
            raise TypeError(
                f"{what}({_name(f)}): {_name(f)} must return one Value (a scalar), got "
                f"{type(out).__name__} {out!r:.60}" + hint
            )
        return out

    def derivatives(self, out: Value) -> list[Any]:
        """d out / d each argument: Values when ``create_graph``, else floats."""
        return gradients(out, self.nodes, create_graph=self.create_graph)

    def result(self, x: Any) -> Any:
        """A derivative as the caller wants it: a float, or a Value when Values came in."""
        if not self.values_in:
            return x.data if isinstance(x, Value) else float(x)
        if isinstance(x, Value):
            return x if self.create_graph else Value(x.data)
        return Value(x)


def _evaluate(f: Callable[..., Any], call: _Call, kwargs: dict[str, Any], what: str) -> Value:
    with _mode.enable_grad():
        return call.output(f(*call.args, **kwargs), f, what)


def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient of f)`` with respect to ``argnums``.

    The gradient is one number for an int ``argnums`` and a tuple for a tuple of ints.
    Arguments not in ``argnums`` (and keyword arguments) are passed through unchanged.

    >>> from autograd_core import value_and_grad
    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(3.0, 2.0)
    (8.0, (2.0, 4.0))
    """
    nums, single = _normalise_argnums(argnums, "value_and_grad")
    _check_f(f, nums, "value_and_grad")

    def transformed(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        call = _Call(f, args, kwargs, nums, "value_and_grad")
        with _mode.enable_grad():
            out = _evaluate(f, call, kwargs, "value_and_grad")
            derivs = [call.result(d) for d in call.derivatives(out)]
        value = call.result(out)
        return value, (derivs[0] if single else tuple(derivs))

    transformed.__name__ = f"value_and_grad({_name(f)})"
    transformed.__doc__ = f"The value and gradient of {_name(f)} (argnums={argnums!r})."
    return transformed


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning the gradient of ``f`` with respect to argument(s) ``argnums``.

    Plain numbers in, floats out (one float for an int ``argnums``, a tuple for a tuple).
    Given Values, it returns Values, so ``grad(grad(f))`` is the second derivative.

    >>> from autograd_core import grad
    >>> grad(lambda x: x.sin())(0.0)
    1.0
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (4.0, 3.0)
    """
    nums, _ = _normalise_argnums(argnums, "grad")
    _check_f(f, nums, "grad")
    inner = value_and_grad(f, argnums)

    def transformed(*args: Any, **kwargs: Any) -> Any:
        return inner(*args, **kwargs)[1]

    transformed.__name__ = f"grad({_name(f)})"
    transformed.__doc__ = f"The gradient of {_name(f)} (argnums={argnums!r})."
    return transformed


def hessian(f: Callable[..., Any], argnums: Argnums | None = None) -> Callable[..., Any]:
    """A function returning the matrix of second derivatives of ``f``, as a tuple of rows.

    By default with respect to every positional argument; an int ``argnums`` gives the single
    number d²f/dx², a tuple gives the rows and columns for those arguments, in that order.

    >>> from autograd_core import hessian
    >>> hessian(lambda x, y: x * x * y)(3.0, 2.0)     # [[2y, 2x], [2x, 0]]
    ((4.0, 6.0), (6.0, 0.0))
    >>> hessian(lambda x: x.exp(), argnums=0)(0.0)
    1.0
    """
    if argnums is None:
        nums: tuple[int, ...] | None = None
        single = False
        if not callable(f):
            raise TypeError(f"hessian needs a function of Values, got {type(f).__name__}")
    else:
        nums, single = _normalise_argnums(argnums, "hessian")
        _check_f(f, nums, "hessian")

    def transformed(*args: Any, **kwargs: Any) -> Any:
        if not args and nums is None:
            raise TypeError(f"hessian({_name(f)}): called with no arguments to differentiate")
        which = tuple(range(len(args))) if nums is None else nums
        call = _Call(f, args, kwargs, which, "hessian")
        with _mode.enable_grad():
            out = _evaluate(f, call, kwargs, "hessian")
            # The gradient must itself be a graph to be differentiated once more.
            firsts = gradients(out, call.nodes, create_graph=True)
            rows = []
            for g in firsts:
                if isinstance(g, Value):
                    row = call.derivatives(g)
                else:  # the gradient is a constant: its derivatives are zero
                    row = [0.0] * len(call.nodes)
                rows.append(tuple(call.result(h) for h in row))
        if single:
            return rows[0][0]
        return tuple(rows)

    transformed.__name__ = f"hessian({_name(f)})"
    transformed.__doc__ = f"The Hessian of {_name(f)}."
    return transformed

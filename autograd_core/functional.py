"""Function transforms in the style of JAX: ``grad``, ``value_and_grad``, ``hessian``, and
forward mode's ``jvp``, ``hvp`` (forward-over-reverse) and ``jacobian``.

``f`` takes Values and returns one Value. The transformed function takes plain numbers and
returns plain floats; given Values instead, it returns Values that can be differentiated again,
which is what makes the transforms compose: ``grad(grad(f))`` is the second derivative.

>>> from autograd_core import grad
>>> f = lambda x: x ** 3
>>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
(12.0, 12.0, 6.0)

The transforms are built on :func:`autograd_core.gradients` (reverse mode) and
:func:`autograd_core.forward_tangents` (forward mode, from the same derivative rules) and never
read or write ``.grad``.

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
from .forward import forward_tangents
from .graph import gradients
from .primitives import Op, record
from .value import Value, to_float

__all__ = ["grad", "hessian", "hvp", "jacobian", "jvp", "value_and_grad"]

# Each differentiated argument enters ``f`` as a fresh node whose one parent is the caller's
# Value (or a new leaf). Differentiating with respect to that node gives the partial derivative
# for that argument position even when the caller passes the same Value twice, and the chain
# back to the caller's Value is what lets an outer transform differentiate the result again.
_ARGUMENT = Op("argument", lambda x: x, (1.0,), arity=1, doc="An argument of a transformed f.",
               formulas=("1",), reduce="autograd_core.functional._ARGUMENT")

Argnums = int | Sequence[int]


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def _argnums_or_all(
    f: Any, argnums: Argnums | None, who: str
) -> tuple[tuple[int, ...] | None, bool]:
    """``(argnums as a tuple, or None for every argument; whether one int was given)``."""
    if argnums is None:
        if not callable(f):
            raise TypeError(f"{who} needs a function of Values, got {type(f).__name__}")
        return None, False
    nums, single = _normalise_argnums(argnums, who)
    _check_f(f, nums, who)
    return nums, single


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
    nums, single = _argnums_or_all(f, argnums, "hessian")

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


# --------------------------------------------------------------------------- forward mode
def _outputs(out: Any, f: Callable[..., Any], what: str) -> tuple[list[Value], bool]:
    """``f``'s result as a list of Values and whether it was one Value (not a sequence)."""
    if isinstance(out, Value):
        return [out], True
    if isinstance(out, (list, tuple)):
        outs = []
        for i, o in enumerate(out):
            if isinstance(o, Value):
                outs.append(o)
            else:
                try:
                    outs.append(Value(to_float(o, "result")))
                except TypeError:
                    raise TypeError(
                        f"{what}({_name(f)}): output #{i} of {_name(f)} must be a Value (or a "
                        f"number), got {type(o).__name__} {o!r:.60}"
                    ) from None
        if not outs:
            raise ValueError(f"{what}({_name(f)}): {_name(f)} returned no outputs")
        return outs, False
    raise TypeError(
        f"{what}({_name(f)}): {_name(f)} must return a Value or a list/tuple of Values, got "
        f"{type(out).__name__} {out!r:.60}"
    )


def _as_tuple(xs: Any, what: str, name: str) -> tuple[Any, ...]:
    if isinstance(xs, (list, tuple)):
        return tuple(xs)
    raise TypeError(
        f"{what}: {name} must be a tuple (or list) with one entry per argument of f, as "
        f"(x, y); got {type(xs).__name__} {xs!r:.60}"
    )


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Any, Any]:
    """Forward mode: ``(f(*primals), directional derivative of f along tangents)``.

    ``primals`` holds one number per positional argument of ``f`` and ``tangents`` one number
    per argument (how fast it moves). The tangent is ``sum_i df/dx_i * tangents[i]``, computed
    in one forward pass with the same derivative rules as ``grad`` (see
    :func:`autograd_core.forward_tangents`). If ``f`` returns a list or tuple of Values, both
    results are tuples, one entry per output. Given Values, the results are Values that can be
    differentiated again.

    >>> from autograd_core import jvp
    >>> jvp(lambda x, y: x * y + y, (3.0, 2.0), (1.0, 0.0))    # d/dx = y
    (8.0, 2.0)
    >>> jvp(lambda x: (x * x, x.sin()), (0.0,), (1.0,))
    ((0.0, 0.0), (0.0, 1.0))
    """
    if not callable(f):
        raise TypeError(f"jvp needs a function of Values, got {type(f).__name__} {f!r:.60}")
    primals = _as_tuple(primals, "jvp", "primals")
    tangents = _as_tuple(tangents, "jvp", "tangents")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp({_name(f)}): {len(primals)} primal(s) but {len(tangents)} tangent(s); give "
            "one tangent per argument"
        )
    if not primals:
        raise ValueError(f"jvp({_name(f)}): no primals given; pass a tuple of arguments")
    call = _Call(f, primals, {}, tuple(range(len(primals))), "jvp")
    seeds: dict[Value, Any] = {}
    for i, (node, t) in enumerate(zip(call.nodes, tangents, strict=True)):
        if call.create_graph and isinstance(t, Value):
            seeds[node] = t
        else:
            seeds[node] = to_float(t, f"tangent {i}")
    with _mode.enable_grad():
        outs, single = _outputs(f(*call.args), f, "jvp")
        found = forward_tangents(outs, seeds, create_graph=call.create_graph)
    values = tuple(call.result(o) for o in outs)
    dots = tuple(call.result(found.get(o, 0.0)) for o in outs)
    if single:
        return values[0], dots[0]
    return values, dots


def hvp(f: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """A function ``(x, v) -> H(x) @ v``, the Hessian of ``f`` times a vector, without forming H.

    Forward-over-reverse: the reverse-mode gradient of ``f`` is recorded as a graph
    (``create_graph=True``), then one forward pass pushes the tangent ``v`` through that
    graph; the cost is a small multiple of one gradient, whatever the number of arguments.
    For ``f`` of one argument, ``x`` and ``v`` are numbers and so is the result; otherwise
    they are tuples with one entry per positional argument, and so is the result. The result
    equals ``hessian(f)(*x) @ v``.

    >>> from autograd_core import hvp
    >>> hvp(lambda x, y: x * x * y)((3.0, 2.0), (1.0, 0.0))   # first column of [[2y, 2x], [2x, 0]]
    (4.0, 6.0)
    >>> hvp(lambda x: x ** 3)(2.0, 1.0)
    12.0
    """
    if not callable(f):
        raise TypeError(f"hvp needs a function of Values, got {type(f).__name__} {f!r:.60}")

    def transformed(x: Any, v: Any) -> Any:
        single = not isinstance(x, (list, tuple))
        xs = (x,) if single else tuple(x)
        if single != (not isinstance(v, (list, tuple))):
            raise TypeError(
                f"hvp({_name(f)}): x and v must both be numbers (f of one argument) or both "
                f"tuples of the same length; got {type(x).__name__} and {type(v).__name__}"
            )
        vs = (v,) if single else tuple(v)
        if len(xs) != len(vs):
            raise ValueError(
                f"hvp({_name(f)}): {len(xs)} argument(s) but {len(vs)} entries in v; give one "
                "per argument"
            )
        if not xs:
            raise ValueError(f"hvp({_name(f)}): no arguments given")
        call = _Call(f, xs, {}, tuple(range(len(xs))), "hvp")
        seeds = {
            node: t if call.create_graph and isinstance(t, Value) else to_float(t, f"v[{i}]")
            for i, (node, t) in enumerate(zip(call.nodes, vs, strict=True))
        }
        with _mode.enable_grad():
            out = _evaluate(f, call, {}, "hvp")
            firsts = gradients(out, call.nodes, create_graph=True)
            graphs = [g for g in firsts if isinstance(g, Value)]
            found = forward_tangents(graphs, seeds, create_graph=call.create_graph)
        result = tuple(
            call.result(found.get(g, 0.0) if isinstance(g, Value) else 0.0) for g in firsts
        )
        return result[0] if single else result

    transformed.__name__ = f"hvp({_name(f)})"
    transformed.__doc__ = f"The Hessian of {_name(f)} times a vector."
    return transformed


def jacobian(
    f: Callable[..., Any], argnums: Argnums | None = None, *, mode: str = "auto"
) -> Callable[..., Any]:
    """A function returning the Jacobian of ``f``, one row per output, one column per argument.

    ``f`` returns a Value or a list/tuple of Values (the outputs). The result is a tuple of
    rows (``rows[i][j] = d output_i / d argument_j``); for ``f`` returning a single Value it is
    the one row, the gradient, as a tuple. ``argnums`` picks the columns (default: every
    positional argument; an int gives one number per row).

    How it is computed: ``mode="forward"`` makes one forward pass per argument (a column each),
    ``mode="reverse"`` one reverse pass per output (a row each). The default ``"auto"`` takes
    the cheaper: forward when there are fewer arguments than outputs, reverse otherwise. All
    three give the same numbers (up to rounding).

    >>> from autograd_core import jacobian
    >>> jacobian(lambda x, y: (x * y, x + y, x.exp()))(2.0, 3.0)
    ((3.0, 2.0), (1.0, 1.0), (7.38905609893065, 0.0))
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    nums, one_column = _argnums_or_all(f, argnums, "jacobian")

    def transformed(*args: Any, **kwargs: Any) -> Any:
        if not args and nums is None:
            raise TypeError(f"jacobian({_name(f)}): called with no arguments to differentiate")
        which = tuple(range(len(args))) if nums is None else nums
        call = _Call(f, args, kwargs, which, "jacobian")
        with _mode.enable_grad():
            outs, single = _outputs(f(*call.args, **kwargs), f, "jacobian")
            forward = mode == "forward" or (mode == "auto" and len(call.nodes) < len(outs))
            if forward:
                columns = []
                for node in call.nodes:
                    found = forward_tangents(outs, {node: 1.0}, create_graph=call.create_graph)
                    columns.append([found.get(o, 0.0) for o in outs])
                rows = [[column[i] for column in columns] for i in range(len(outs))]
            else:
                rows = [gradients(o, call.nodes, create_graph=call.create_graph) for o in outs]
            table = tuple(tuple(call.result(d) for d in row) for row in rows)
        if one_column:
            table = tuple(row[0] for row in table)
        return table[0] if single else table

    transformed.__name__ = f"jacobian({_name(f)})"
    transformed.__doc__ = f"The Jacobian of {_name(f)}."
    return transformed

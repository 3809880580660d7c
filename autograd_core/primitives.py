"""The machinery behind every op: ``Op`` objects, recording nodes, and exposing ops on ``Value``.

An op is data: a name, a forward function on floats, and one local-derivative rule per input.
A rule is written with ordinary arithmetic on its arguments ``(*inputs, out)``, so the same rule
runs on floats for the fast backward pass and on ``Value``\\ s when ``create_graph=True`` asks
for a differentiable gradient. Built-in ops (in :mod:`autograd_core.ops`) and users' own ops
(made with :func:`primitive`) are the same kind of object and go down the same path.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import keyword
import math
import os
import pickle
import sys
import unicodedata
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from . import mode as _mode
from .value import Value, lift, to_float

Rule = Callable[..., Any] | float

# How the backward loop applies an op's rules; see graph.backward.
UNARY, BINARY, LINEAR_UNARY, LINEAR_BINARY, VARIADIC = range(5)

_DEFAULT = _mode.DEFAULT
_current = _mode.current
_new = object.__new__


class DomainError(ValueError):
    """An op was applied outside its domain, e.g. ``log(-1)``. Names the op and the number."""


class DivisionByZero(DomainError, ZeroDivisionError):
    """Division by zero (``x / 0``, ``0 ** -1``): a ``ZeroDivisionError`` and a ``DomainError``."""


def _constant_rule(c: float) -> Callable[..., float]:
    """A constant local derivative ``c`` as a rule, for an op whose other rule is a function."""
    def rule(*_: Any) -> float:
        return c

    return rule


class Op:
    """A primitive operation: its forward function on floats and its local derivatives.

    Calling an op on numbers gives a float; calling it on at least one ``Value`` records a node.

    >>> from autograd_core import Op, Value
    >>> square = Op("square_example", lambda x: x * x, [lambda x, out: 2 * x], arity=1)
    >>> square(3.0)
    9.0
    >>> y = square(Value(3.0)); y.backward(); y.parents[0].grad
    6.0

    Make ops with :func:`primitive`, which also registers them (for ``expressions()`` and the
    command line) and can install them as a ``Value`` method.
    """

    __slots__ = (
        "name", "forward", "rules", "arity", "kind", "check", "doc", "formulas", "accumulate",
        "reduce", "array", "__weakref__",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        rules: Sequence[Rule],
        *,
        arity: int | None,
        check: Callable[..., Exception | None] | None = None,
        doc: str = "",
        formulas: Sequence[str] | Callable[..., list[str]] | None = None,
        accumulate: Callable[[tuple[Value, ...], float], None] | None = None,
        reduce: str | tuple[Callable[..., Op], tuple[Any, ...]] | None = None,
        array: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"an op needs a non-empty str name, got {name!r}")
        if not callable(forward):
            raise TypeError(f"op {name!r}: forward must be callable, got {type(forward).__name__}")
        # A constant given as a float subclass (np.float64) is kept as a plain float, so the
        # gradients it makes are floats.
        rules = tuple(float(r) if isinstance(r, float) else r for r in rules)
        for rule in rules:
            if not (callable(rule) or isinstance(rule, float)):
                raise TypeError(
                    f"op {name!r}: each derivative rule must be callable (or a float constant), "
                    f"got {type(rule).__name__}"
                )
        if check is not None and not callable(check):
            raise TypeError(
                f"op {name!r}: check must be a function of the inputs, got {type(check).__name__}"
            )
        if arity is None:
            if len(rules) != 1:
                raise ValueError(
                    f"variadic op {name!r} takes one rule: (inputs, out) -> derivatives"
                )
            kind = VARIADIC
        elif arity in (1, 2):
            if len(rules) != arity:
                raise ValueError(
                    f"op {name!r} has {arity} input(s) and needs as many derivative rules, "
                    f"got {len(rules)}"
                )
            linear = all(isinstance(r, float) for r in rules)
            if not linear:  # a constant beside a rule: the backward loop calls every rule
                rules = tuple(_constant_rule(r) if isinstance(r, float) else r for r in rules)
            if arity == 1:
                kind = LINEAR_UNARY if linear else UNARY
            else:
                kind = LINEAR_BINARY if linear else BINARY
        else:
            raise ValueError(f"op {name!r}: arity must be 1, 2 or None (variadic), got {arity!r}")
        self.name = name
        self.forward = forward
        self.rules = rules
        self.arity = arity
        self.kind = kind
        self.check = check
        self.doc = doc
        # How each local derivative reads, for step-by-step explanations: one template per
        # input using {x} (unary), {a} {b} (binary) and {out}; for a variadic op, a function
        # (input names, output name) -> one string per input. None: shown as d(out)/d(input).
        self.formulas = formulas
        # Optional, variadic ops only: a float-only shortcut for the fast backward pass that
        # adds g * d(out)/d(input) to each parent's grad in place, without building the list
        # of local derivatives. It must agree with the rule (the tests compare the two).
        if accumulate is not None and kind != VARIADIC:
            raise ValueError(f"op {name!r}: accumulate= is for variadic ops only")
        self.accumulate = accumulate
        # How to pickle an op that is not registered: (function, args) that make it again, as
        # in __reduce__ (for a factory such as ops.power_by), or the dotted name of the
        # module-level variable that holds it ("autograd_core.ops._RECIPROCAL").
        if isinstance(reduce, str):
            if "." not in reduce:
                raise ValueError(
                    f"op {name!r}: reduce= names the variable holding the op with its module, "
                    f"as 'package.module.NAME'; got {reduce!r}"
                )
            reduce = (_global_op, (reduce,))
        elif reduce is not None and not (
            isinstance(reduce, tuple) and len(reduce) == 2 and callable(reduce[0])
            and isinstance(reduce[1], tuple)
        ):
            raise TypeError(
                f"op {name!r}: reduce= must be (function, args tuple) or a dotted name, "
                f"got {reduce!r}"
            )
        self.reduce = reduce
        # Optional: versions for 1-d NumPy arrays (one lane per element), for the tape's lane
        # replay (autograd_core.tape). A dict with any of "forward", "rules" (one per input,
        # as ``rules``) and "check"; a missing entry means the float one works on arrays
        # too. None: the op has no array version (lane replay runs it lane by lane).
        if array is not None:
            if not isinstance(array, dict) or not set(array) <= {"forward", "rules", "check"}:
                raise TypeError(
                    f"op {name!r}: array= must be a dict with keys among 'forward', 'rules', "
                    f"'check', got {array!r:.80}"
                )
            if "rules" in array and len(tuple(array["rules"])) != len(rules):
                raise ValueError(
                    f"op {name!r}: array= needs as many rules as the op ({len(rules)}), got "
                    f"{len(tuple(array['rules']))}"
                )
        self.array = array

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by reference: its registered name (or its ``reduce=`` recipe)."""
        if self.reduce is not None:
            return self.reduce
        if _registry.get(self.name) is self:
            return (_registered_op, (self.name,))
        raise pickle.PicklingError(
            f"op {self.name!r} cannot be pickled: it was made with Op(...) and is not "
            "registered. Make it with primitive() (ops are pickled by their registered name), "
            "or give Op(..., reduce=(factory, args)) that makes it again"
        )

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self  # an op is a definition, shared by every node (and copy) that uses it

    def in_domain(self, *inputs: float) -> bool:
        """True when ``inputs`` are valid for this op (it would not raise a domain error)."""
        return self.check is None or self.check(*inputs) is None

    def __call__(self, *args: Any) -> Any:
        if self.arity is None:
            if len(args) != 1:
                raise TypeError(f"{self.name}() takes one sequence of inputs")
            args = tuple(args[0])
        elif len(args) != self.arity:
            raise TypeError(f"{self.name}() takes {self.arity} argument(s), got {len(args)}")
        if any(isinstance(a, Value) for a in args):
            return apply(self, tuple(lift(a) for a in args))
        return self.evaluate([to_float(a, f"argument of {self.name}()") for a in args])

    def evaluate(self, inputs: Sequence[float]) -> float:
        """The forward value on floats, after the domain check."""
        if self.check is not None:
            err = self.check(*inputs)
            if err is not None:
                raise refusal(self, err, inputs)
        if self.arity is None:
            return result_as_float(self, self.forward(list(inputs)))
        return result_as_float(self, self.forward(*inputs))


def refusal(op: Op, err: Any, inputs: Sequence[Any] = ()) -> Exception:
    """The exception to raise for what ``op``'s domain check returned on ``inputs``.

    An ``Exception`` instance is raised as it is; an ``Exception`` class is made into one
    whose message names the op and the inputs. Anything else -- a non-exception, or a
    ``BaseException`` that is no ``Exception`` (``SystemExit``, ``KeyboardInterrupt``), which
    would stop the program -- gives a TypeError naming the op. Called only when the check
    returned something other than None, so it costs nothing on inputs inside the domain.
    """
    if isinstance(err, Exception):
        return err
    if isinstance(err, type) and issubclass(err, Exception):
        shown = ", ".join(f"{_plain(x)!r:.40}" for x in inputs)
        try:
            made = err(f"op {op.name!r} is not defined at ({shown}): its check returned "
                       f"{err.__name__}")
        except Exception:  # a class that cannot be made from a message
            made = None
        if isinstance(made, Exception):
            return made
        problem = f"the class {err.__name__}, which cannot be made from a message"
    elif isinstance(err, BaseException) or (
        isinstance(err, type) and issubclass(err, BaseException)
    ):
        name = err.__name__ if isinstance(err, type) else type(err).__name__
        problem = (f"{err!r:.80}; {name} is not an Exception subclass (raising it would stop "
                   "the program, not report the input)")
    else:
        problem = f"{type(err).__name__} {err!r:.80}"
    return TypeError(
        f"the check of op {op.name!r} must return an exception (an Exception instance or "
        "class) for inputs outside the domain, or None for inputs inside it; it returned "
        f"{problem}"
    )


def result_as_float(op: Op, result: Any) -> float:
    """``op``'s forward result as a float; a clear TypeError if it is not a real number."""
    if type(result) is float:
        return result
    try:
        return to_float(result, "result")
    except TypeError as exc:
        raise TypeError(
            f"the forward function of op {op.name!r} must return a real number: {exc}"
        ) from None


def apply(op: Op, parents: tuple[Value, ...]) -> Value:
    """Compute ``op`` on the parents' numbers and record the result as a node."""
    return record(op, op.evaluate([p.data for p in parents]), parents)


def record(op: Op, data: float, parents: tuple[Value, ...]) -> Value:
    """A new node holding ``data``, made by ``op`` from ``parents`` (a leaf under ``no_grad``)."""
    mode = _current()
    if not mode.grad_enabled:
        return Value(data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._op = op
    if op.kind == VARIADIC:
        out._a = parents
        out._b = None
    else:
        out._a = parents[0]
        out._b = parents[1] if len(parents) == 2 else None
    out.label = ""
    if mode.anomaly:
        _anomaly_forward(out)
    return out


# --------------------------------------------------------------------------- anomaly mode
_sites: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_site() -> str:
    """``file:line`` of the innermost frame outside this package: where the user made a node."""
    frame = sys._getframe(1)
    while frame is not None and (
        os.path.dirname(os.path.abspath(frame.f_code.co_filename)) + os.sep
    ).startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def creation_site(node: Value) -> str | None:
    """Where ``node`` was created, if it was created inside ``detect_anomaly()``."""
    return _sites.get(node)


def _describe_inputs(node: Value) -> str:
    return ", ".join(f"{p.label or 'input'}={p.data!r}" for p in node.parents)


def _anomaly_forward(out: Value) -> None:
    site = _user_site()
    _sites[out] = site
    if not math.isfinite(out.data):
        raise FloatingPointError(
            f"op {out._op.name!r} produced {out.data!r} from inputs ({_describe_inputs(out)}), "
            f"created at {site}"
        )


def anomaly_backward(
    node: Value, parent_index: int, contribution: Any, upstream: Any = None
) -> None:
    """Raise if the gradient ``node`` sends to its parent is NaN or infinite (anomaly mode).

    ``upstream`` is d(root)/d(node) in this pass (``node.grad`` is only set after the pass).
    """
    number = contribution.data if isinstance(contribution, Value) else contribution
    if not math.isfinite(number):
        site = creation_site(node) or "outside detect_anomaly()"
        raise FloatingPointError(
            f"backward of op {node._op.name!r} gave gradient {number!r} for its input "
            f"#{parent_index} (inputs {_describe_inputs(node)}, upstream grad "
            f"{_plain(node.grad if upstream is None else upstream)!r}), node created at {site}"
        )


def _plain(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


# --------------------------------------------------------------------------- local derivatives
def local_derivatives(node: Value, symbolic: bool = False) -> tuple[Any, ...]:
    """d node / d parent for each parent, in order.

    Numbers by default; with ``symbolic=True`` the rules run on the ``Value`` nodes themselves,
    so the derivatives are Values that can be differentiated again.
    """
    op = node._op
    if op is None:
        return ()
    if symbolic:
        inputs: Sequence[Any] = node.parents
        out: Any = node
    else:
        inputs = [p.data for p in node.parents]
        out = node.data
    try:
        if op.kind == VARIADIC:
            result = tuple(op.rules[0](list(inputs), out))
            if len(result) != len(inputs):
                raise ValueError("wrong number of derivatives")  # diagnosed below
        else:
            result = tuple(r if isinstance(r, float) else r(*inputs, out) for r in op.rules)
    except (TypeError, ValueError) as exc:
        failure = rule_failure(node, symbolic=symbolic)
        if failure is None:
            raise
        raise failure from exc
    for d in result:
        if type(d) is not float and type(d) is not Value:
            failure = rule_failure(node, symbolic=symbolic)
            if failure is not None:
                raise failure
    return result


def _not_a_derivative(d: Any) -> bool:
    if type(d) is float or isinstance(d, (Value, bool)):
        return False
    try:
        to_float(d)
    except (TypeError, ValueError):
        return True
    return False


def _call_problem(rule: Callable[..., Any], args: Sequence[Any]) -> str | None:
    """Why ``rule`` cannot be called with ``args`` (its signature), or None."""
    try:
        inspect.signature(rule).bind(*args)
    except TypeError as exc:
        return str(exc)
    except ValueError:  # no signature to read (some builtins): let the call itself decide
        return None
    return None


def rule_failure(node: Value, *, symbolic: bool = False) -> Exception | None:
    """A clear error if a derivative rule of ``node``'s op takes or returns the wrong thing.

    Run only after the backward pass has failed (off the fast path): the rules are called
    again, one at a time, and checked. None when they look right, so that the original error
    (a rule's own ``DomainError``, say) stands.
    """
    op = node._op
    if op is None:
        return None
    inputs: list[Any] = list(node.parents) if symbolic else [p.data for p in node.parents]
    out: Any = node if symbolic else node.data
    if op.kind == VARIADIC:
        rule = op.rules[0]
        problem = _call_problem(rule, (inputs, out))
        if problem is not None:
            return TypeError(
                f"the derivative rule of variadic op {op.name!r} must take (inputs, out), "
                f"2 arguments: {problem}"
            )
        try:
            result = rule(list(inputs), out)
        except Exception:
            return None
        try:
            local = list(result)
        except TypeError:
            return TypeError(
                f"the derivative rule of variadic op {op.name!r} must return a list of "
                f"{len(inputs)} derivatives, one per input; it returned "
                f"{type(result).__name__} {result!r:.80}"
            )
        if len(local) != len(inputs):
            return ValueError(
                f"the derivative rule of variadic op {op.name!r} returned {len(local)} "
                f"derivatives for {len(inputs)} inputs; it must return one per input"
            )
        for i, d in enumerate(local):
            if _not_a_derivative(d):
                return TypeError(
                    f"the derivative rule of variadic op {op.name!r} returned "
                    f"{type(d).__name__} {d!r:.80} as derivative #{i}; each must be a number "
                    "(or a Value)"
                )
        return None
    names = ("x", "out") if op.arity == 1 else ("a", "b", "out")
    args = (*inputs, out)
    for i, rule in enumerate(op.rules):
        if isinstance(rule, float):
            continue
        problem = _call_problem(rule, args)
        if problem is not None:
            return TypeError(
                f"derivative rule #{i} of op {op.name!r} must take ({', '.join(names)}), "
                f"{len(names)} arguments: {problem}"
            )
        try:
            d = rule(*args)
        except Exception:
            return None
        if _not_a_derivative(d):
            at = ", ".join(f"{n}={_plain(v)!r}" for n, v in zip(names, args, strict=True))
            return TypeError(
                f"derivative rule #{i} of op {op.name!r} returned {type(d).__name__} "
                f"{d!r:.80} at ({at}); a rule must return a number (or a Value)"
            )
    return None


# --------------------------------------------------------------------------- users' rules
# primitive() wraps the rules and the check of a user's op (never the engine's own ops, whose
# backward stays as fast as it is) so that what they return is checked where they return it,
# on every path: the fast backward pass, create_graph, gradients(), the steps.
def _derivative(name: str, index: int | None, d: Any, args: Sequence[Any]) -> Any:
    """A rule's result ``d`` as a derivative: a float on float inputs; on Values (the
    ``create_graph`` path) a Value or a float. Anything else is a TypeError naming the op."""
    symbolic = isinstance(args[-1], Value)
    where = f"derivative rule #{index} of op {name!r}" if index is not None else (
        f"the derivative rule of variadic op {name!r}"
    )
    if isinstance(d, Value):
        if symbolic:
            return d
        raise TypeError(
            f"{where} returned a Value on float inputs ({_at(args)}); on floats a rule must "
            "return a number. A Value the rule uses from outside its arguments makes the "
            "gradient a Value: use its .data, or compute with the arguments only"
        )
    try:
        return to_float(d, "a derivative")
    except TypeError:
        pass
    except ValueError as exc:
        raise ValueError(f"{where} returned {type(d).__name__} at ({_at(args)}): {exc}") from None
    raise TypeError(
        f"{where} returned {type(d).__name__} {d!r:.80} at ({_at(args)}); a rule must return "
        "a real number (int or float; not bool or complex), or a Value on Values"
    )


def _at(args: Sequence[Any]) -> str:
    if len(args) == 2 and isinstance(args[0], list):  # a variadic rule's (inputs, out)
        inputs = ", ".join(f"{_plain(v)!r}" for v in args[0][:5])
        more = ", ..." if len(args[0]) > 5 else ""
        return f"inputs=[{inputs}{more}], out={_plain(args[1])!r}"
    names = ("x", "out") if len(args) == 2 else ("a", "b", "out")
    return ", ".join(f"{n}={_plain(v)!r}" for n, v in zip(names, args, strict=False))


def _guard_rule(name: str, index: int, rule: Callable[..., Any]) -> Callable[..., Any]:
    """``rule`` of input ``index`` of a user's op, returning only what a derivative may be."""

    @functools.wraps(rule)  # keeps the signature, which rule_failure reads
    def guarded(*args: Any) -> Any:
        d = rule(*args)
        if type(d) is float:
            return d
        return _derivative(name, index, d, args)

    return guarded


def check_derivative_list(result: Any, n: int, rule: str) -> None:
    """A variadic ``rule``'s result must be a list (or tuple) of ``n`` derivatives, one per
    input; else a TypeError or ValueError saying so (``rule`` names it in the message)."""
    if not isinstance(result, (list, tuple)):
        raise TypeError(
            f"{rule} must return a list (or tuple) of {n} derivatives, one per input; it "
            f"returned {type(result).__name__} {result!r:.80}"
        )
    if len(result) != n:
        raise ValueError(
            f"{rule} returned {len(result)} derivatives for {n} inputs; it must return one "
            "per input"
        )


def _guard_variadic_rule(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """A user's variadic rule, returning only a list of derivatives, one per input."""

    @functools.wraps(rule)
    def guarded(inputs: list[Any], out: Any) -> Any:
        result = rule(inputs, out)
        check_derivative_list(result, len(inputs), f"the derivative rule of variadic op {name!r}")
        for d in result:
            if type(d) is not float:
                break
        else:
            return result
        local = []
        for i, d in enumerate(result):
            if type(d) is not float:
                try:
                    d = _derivative(name, None, d, (inputs, out))
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"{exc} (derivative #{i})") from None
            local.append(d)
        return local

    return guarded


def _guard_check(name: str, params: str, check: Callable[..., Any]) -> Callable[..., Any]:
    """A user's domain check; called with the wrong number of inputs it names the op."""

    @functools.wraps(check)
    def guarded(*inputs: Any) -> Any:
        try:
            return check(*inputs)
        except TypeError:
            problem = _call_problem(check, inputs)
            if problem is None:  # the check's own TypeError
                raise
            raise TypeError(
                f"the check of op {name!r} must take ({params}), the op's inputs: {problem}"
            ) from None

    return guarded


# --------------------------------------------------------------------------- exposing ops
# The operator and method bodies below repeat record()'s default branch on purpose: every
# node of every graph is made here, and a call to a shared helper would add about a fifth to
# the cost of building one. Anything but the default mode (no_grad, anomaly) goes to record().
def _binary_methods(op: Op) -> tuple[Callable[..., Value], Callable[..., Value]]:
    """``Value.__op__`` and its reflected ``__rop__``, with the fast path inlined."""
    forward = op.forward
    check = op.check

    def method(self: Value, other: Any) -> Value:
        if type(other) is not Value:
            other = lift(other)
        a = self.data
        b = other.data
        if check is not None:
            err = check(a, b)
            if err is not None:
                raise refusal(op, err, (a, b))
        data = forward(a, b)
        if _current() is _DEFAULT:
            out = _new(Value)
            out.data = data
            out.grad = 0.0
            out._op = op
            out._a = self
            out._b = other
            out.label = ""
            return out
        return record(op, data, (self, other))

    def reflected(self: Value, other: Any) -> Value:
        return method(lift(other), self)

    method.__name__ = reflected.__name__ = op.name
    method.__doc__ = reflected.__doc__ = op.doc
    method.__autograd_op__ = reflected.__autograd_op__ = op  # type: ignore[attr-defined]
    return method, reflected


def _unary_method(op: Op) -> Callable[[Value], Value]:
    forward = op.forward
    check = op.check

    def method(self: Value) -> Value:
        a = self.data
        if check is not None:
            err = check(a)
            if err is not None:
                raise refusal(op, err, (a,))
        data = forward(a)
        if type(data) is not float:  # a user's forward may return an int, or worse
            data = result_as_float(op, data)
        if _current() is _DEFAULT:
            out = _new(Value)
            out.data = data
            out.grad = 0.0
            out._op = op
            out._a = self
            out._b = None
            out.label = ""
            return out
        return record(op, data, (self,))

    method.__name__ = op.name
    method.__doc__ = op.doc
    method.__autograd_op__ = op  # type: ignore[attr-defined]  # see _check_method_name
    return method


def install(op: Op, *, method: str | None = None, dunder: str | None = None) -> Op:
    """Expose ``op`` on ``Value``: as a method (``x.tanh()``) and/or an operator (``__add__``)."""
    if dunder is not None:
        if op.arity == 2:
            forward_method, reflected = _binary_methods(op)
            setattr(Value, f"__{dunder}__", forward_method)
            setattr(Value, f"__r{dunder}__", reflected)
        else:
            setattr(Value, f"__{dunder}__", _unary_method(op))
    if method is not None:
        method = _check_method_name(method, op.name)
        setattr(Value, method, _unary_method(op) if op.arity == 1 else _binary_methods(op)[0])
    return op


def _check_method_name(method: Any, op_name: str) -> str:
    """The method name as Python reads it; refuse one that is not a plain identifier or that
    ``Value`` already uses.

    Python reads identifiers in NFKC form (``x.\ufb01()``, with the "fi" ligature, calls
    ``x.fi``), so the name is normalised first. A name ``Value`` has (``backward``, ``data``,
    ``grad``, a slot, an inherited ``object`` attribute) may only be taken again by a method
    an op of that same name installed.
    """
    if isinstance(method, str):
        method = unicodedata.normalize("NFKC", method)
    if not isinstance(method, str) or not method.isidentifier() or keyword.iskeyword(method):
        raise ValueError(
            f"op {op_name!r}: a method name must be a Python identifier, got {method!r}; "
            "use method=False and call the op as a function"
        )
    if method.startswith("__") and method.endswith("__"):
        raise ValueError(
            f"op {op_name!r}: {method!r} is a special name, not a method name; pick a plain one"
        )
    for klass in Value.__mro__:
        if method in vars(klass):
            existing = vars(klass)[method]
            owner = getattr(existing, "__autograd_op__", None)
            if owner is not None and owner.name == op_name:
                return method
            what = f"installed by op {owner.name!r}" if owner is not None else (
                f"from {klass.__name__}"
            )
            raise ValueError(
                f"op {op_name!r}: Value already has an attribute {method!r} ({what}); "
                "pick another name, or use method=False and call the op as a function"
            )
    return method


_registry: dict[str, Op] = {}
# Where each registered op was defined: (file, line) of the code that called primitive().
_definition_sites: dict[str, tuple[str, int]] = {}


class OpRedefinedWarning(UserWarning):
    """``primitive()`` replaced an op of that name (a notebook cell run again, ``replace=True``)."""


def _caller_site(depth: int) -> tuple[str, int]:
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_filename, frame.f_lineno


def _interactive(filename: str) -> bool:
    """Whether code from ``filename`` was typed in: a notebook cell or a REPL line.

    IPython names a cell ``<ipython-input-N-...>`` (N counts every run) or, with ipykernel 6,
    ``.../ipykernel_<pid>/<hash of the cell's text>.py``; the REPL uses ``<stdin>``. A cell
    that is edited and run again has a new name, so "the same place" cannot be the file name.
    """
    if filename.startswith("<ipython-input-") or filename == "<stdin>":
        return True
    return os.path.basename(os.path.dirname(filename)).startswith("ipykernel_")


def _is_builtin_site(site: tuple[str, int]) -> bool:
    directory = os.path.dirname(os.path.abspath(site[0]))
    return (directory + os.sep).startswith(_PACKAGE_DIR + os.sep)


def _may_replace(name: str, site: tuple[str, int], replace: bool) -> bool:
    """Whether a new definition of the registered op ``name`` from ``site`` replaces it.

    Yes from the same file and line (a re-run cell, a reloaded module), between two notebook
    cells, or with ``replace=True``; an op of the engine itself only from its own line.
    """
    old = _definition_sites.get(name)
    if old == site:
        return True
    if old is None or _is_builtin_site(old):
        raise ValueError(
            f"an op named {name!r} exists already (built in: it cannot be redefined); "
            "choose another name"
        )
    if replace or (_interactive(old[0]) and _interactive(site[0])):
        return True
    raise ValueError(
        f"an op named {name!r} exists already (defined at {old[0]}:{old[1]}); choose another "
        "name, or pass replace=True to replace it"
    )


def register(op: Op, *, method: bool = False, replace: bool = False, _depth: int = 1) -> Op:
    """Register ``op`` under its name (and install it as a ``Value`` method): what
    :func:`primitive` does with the op it makes. For ops built by other means, such as
    :data:`autograd_core.ops.leaky_relu` with its parameter."""
    site = _caller_site(_depth)
    name = op.name
    old = _registry.get(name)
    if old is not None:
        _may_replace(name, site, replace)
    if method:
        if op.arity != 1:
            raise ValueError(f"method=True is for ops of one input; {name!r} has {op.arity}")
        _check_method_name(name, name)
    if old is not None:
        # The old op's method goes; the new one's (if any) takes its place just below.
        for klass in Value.__mro__:
            for attr, fn in list(vars(klass).items()):
                if getattr(fn, "__autograd_op__", None) is old:
                    delattr(klass, attr)
    if method:
        install(op, method=name)
    _registry[name] = op
    _definition_sites[name] = site
    if old is not None and old is not op:
        warnings.warn(
            f"op {name!r} redefined: the definition at {site[0]}:{site[1]} replaces the one "
            "made before (nodes made earlier keep the old op)",
            OpRedefinedWarning,
            stacklevel=_depth + 1,
        )
    return op


def primitive(
    name: str,
    forward: Callable[..., float],
    *derivatives: Rule,
    check: Callable[..., Exception | None] | None = None,
    method: bool = False,
    doc: str = "",
    variadic: bool = False,
    formulas: Sequence[str] | Callable[..., list[str]] | None = None,
    accumulate: Callable[[tuple[Value, ...], float], None] | None = None,
    replace: bool = False,
    array: dict[str, Any] | None = None,
) -> Op:
    """Define a new op from its forward function and one local derivative per input.

    Each derivative is a function of the inputs and the output, ``(x, out)`` for one input or
    ``(a, b, out)`` for two, written with arithmetic and Value methods so it works on floats and
    on Values (which makes second derivatives work). A float stands for a constant derivative.
    ``check(*inputs)`` may return an exception for inputs outside the domain; ``formulas`` are
    the derivatives as text for explanations (``"1 - {out}**2"``). The op then works
    with ``backward``, ``create_graph``, ``no_grad``, drawing and ``gradcheck`` like a built-in.

    What the rules and the check return is checked, on every path, with a TypeError naming
    the op and the rule: on floats a rule returns a real number (an int or a NumPy scalar is
    turned into a float; a bool, a complex or a Value is refused), on Values a Value or a
    number; a variadic rule returns a list or tuple with one derivative per input. The check
    returns None, or an ``Exception`` instance or class to raise (a class gets a message
    naming the op and the inputs); ``SystemExit`` and other non-``Exception`` results are
    refused. A method name is read as Python reads identifiers (NFKC: ``"\ufb01"``, the
    "fi" ligature, installs ``fi``).

    A name is taken once. Defining it again replaces the op, with an
    :class:`OpRedefinedWarning`, when the new definition comes from the same place (the same
    file and line: a notebook cell run again, a reloaded module), from another notebook cell
    when the first was one too, or with ``replace=True``; anywhere else it is a ``ValueError``.
    Built-in ops are never replaced.

    ``array`` gives versions for the tape's lane replay on NumPy arrays
    (:mod:`autograd_core.tape`): a dict with any of ``"forward"``, ``"rules"`` and
    ``"check"``; a missing entry means the float one works on arrays as it is (``{}`` for an
    op of plain arithmetic). Without it, lane replay runs the op lane by lane, with a warning.

    >>> import math
    >>> from autograd_core import Value, primitive
    >>> cube = primitive("cube", lambda x: x ** 3, lambda x, out: 3 * x * x)
    >>> x = Value(2.0); y = cube(x); y.backward(); (y.data, x.grad)
    (8.0, 12.0)
    """
    site = _caller_site(1)
    if name in _registry:  # refused before anything is built
        _may_replace(name, site, replace)
    arity = None if variadic else len(derivatives)
    if method:  # checked before anything is built or registered
        if arity != 1:
            raise ValueError(f"method=True is for ops of one input; {name!r} has {arity}")
        _check_method_name(name, name)
    if not _is_builtin_site(site) and isinstance(name, str):
        # A user's op: what its rules and check return is checked (the engine's are trusted).
        if isinstance(array, dict) and "rules" not in array:  # on arrays: the rules unwrapped
            array = {**array, "rules": derivatives}
        if variadic:
            derivatives = tuple(
                _guard_variadic_rule(name, r) if callable(r) else r for r in derivatives
            )
        else:
            derivatives = tuple(
                _guard_rule(name, i, r) if callable(r) and not isinstance(r, float) else r
                for i, r in enumerate(derivatives)
            )
        if callable(check):
            params = "*inputs" if variadic else ("x" if arity == 1 else "a, b")
            check = _guard_check(name, params, check)
    op = Op(
        name, forward, derivatives, arity=arity, check=check,
        doc=doc or f"The {name} op.", formulas=formulas, accumulate=accumulate,
        array=array,
    )
    return register(op, method=method, replace=replace, _depth=2)


def unary_function(op: Op) -> Callable[[Value], Value]:
    """``op`` of one input as a fast function of a Value: what ``x.relu()`` runs for ``relu``.

    Skips ``Op.__call__``'s argument handling; for code that applies one op very often (a
    neuron's activation).
    """
    if not isinstance(op, Op) or op.arity != 1:
        raise TypeError(f"unary_function needs an op of one input, got {op!r:.60}")
    return _unary_method(op)


def _registered_op(name: str) -> Op:
    """The op registered as ``name``: how a pickled op is found again."""
    op = _registry.get(name)
    if op is None:
        raise pickle.UnpicklingError(
            f"the pickle holds nodes of op {name!r}, which is not registered here: import the "
            "module that defines it with primitive() before loading"
        )
    return op


def _global_op(path: str) -> Op:
    """The op held by the module-level variable ``path`` (``"package.module.NAME"``)."""
    module_name, _, attribute = path.rpartition(".")
    op = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(op, Op):
        raise pickle.UnpicklingError(f"the pickle refers to op {path!r}, which does not exist here")
    return op


def registered_ops() -> dict[str, Op]:
    """Every op made with :func:`primitive`, built-in and custom, by name."""
    return dict(_registry)

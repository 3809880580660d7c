"""Trace once, replay fast: a graph recorded as a flat tape and run again on new numbers.

Building a graph of ``Value`` objects costs an allocation per node and a topological sort
per ``backward()``. When the same function is evaluated again and again on new numbers (a
training loss, one example at a time), its graph has the same shape every time. ``trace``
runs the function once on leaf Values, and writes the graph down as a *tape*: a list of
instructions ``(op, input slots, output slot)`` in an order where every input comes before
its use. Replaying the tape is a loop over that list:

- forward: ``slots[out] = op.forward(*slots[ins])``;
- backward: the same list backwards, ``grads[in] += grads[out] * rule(*inputs, out)``, with
  the derivative rules of the op table (``autograd_core.ops``), exactly as ``backward()``
  applies them, in the same order, so the numbers are the interpreter's bit for bit.

No ``Value`` is made and nothing is sorted again. This module is another interpreter of the
same op table, next to ``graph.py`` (rules over Value nodes) and ``forward.py`` (tangents).

**Compiled.** On floats the loop itself goes too: a tape replayed a second time is written
out as one straight-line Python function, a line per instruction (``s7 = s3 * s5``) and then
a line per gradient (``g3 = 0.0 + g9 + g7 * s5``), and compiled once
(:mod:`autograd_core.tape_compile`; ``tape.source()`` shows it). It applies the same ops in
the same order, so its numbers are the loop's bit for bit, several times faster. The first
replay runs the loop (a tape used once, or only on lanes, never pays for compiling;
``trace(..., compile=True)`` compiles at once), and so does a tape too large to compile
(``tape.compiled`` says which).

**Lanes.** Any argument may be a 1-d NumPy array; all arrays have one length B. The tape then
runs once with array arithmetic over the B *lanes* (one lane per example): the same
instructions, each op's array version (``Op.array``: a ``where`` in place of a branch,
``np.tanh`` in place of ``math.tanh``). This is where tensor frameworks get their speed: the
chain rule is the same, it is only applied to many numbers per instruction. Gradients are
those of the sum over lanes, as ``torch.autograd.grad(out.sum(), ...)``: one per lane for an
array argument, summed over the lanes for a number (a shared parameter). An op without an
array version (a user's op made without ``array=``) runs lane by lane, with a warning once.
NumPy is needed only for lanes (``pip install 'autograd-core[fast]'``).

**What may be traced.** A function of its arguments built with ops (arithmetic, methods,
``dot``, ``sum_of``, users' ``primitive`` ops). The tape records the one path the function
took at the example arguments: an ``if`` on a Value, a comparison (``x > 0``, ``max``), a
``float(x)`` / ``x.item()``, ``bool(x)`` or reading ``x.data`` (outside the library's own
code) are replayed as they went at tracing time, and give a :class:`TracerWarning`. A
Value the function uses that is not an argument (a model's parameter, say) is a constant of
the tape, frozen at its tracing-time number, unless it is passed in ``params=``: then it is
an argument too, after the positional ones.

>>> import math
>>> from autograd_core import trace
>>> t = trace(lambda x, y: (x * y).tanh() + x, 0.5, 2.0)
>>> t(0.5, 2.0) == math.tanh(0.5 * 2.0) + 0.5
True
>>> value, (dx, dy) = t.value_and_grad(1.0, 3.0)
>>> round(dx, 6), round(dy, 6)
(1.029598, 0.009866)
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import mode as _mode
from .graph import topological_order
from .lanes import numpy_or_error, plan_for, replay_note
from .primitives import (
    BINARY,
    LINEAR_BINARY,
    LINEAR_UNARY,
    UNARY,
    VARIADIC,
    Op,
    refusal,
    result_as_float,
)
from .tape_compile import Program, compile_tape, write
from .value import Value, to_float

__all__ = ["Tape", "TracerWarning", "trace"]

class TracerWarning(UserWarning):
    """A traced function looked at a number (compared, ``bool()``, ``float()``): the tape is
    specialised to the path taken at the example arguments."""


# --------------------------------------------------------------------------- tracing
# While a trace runs, the ways a function can read a Value's number through the Value
# itself warn. They are patched onto Value for the duration only (the engine's hot paths
# are untouched); a lock keeps nested and concurrent traces from restoring them too early.
_patch_lock = threading.Lock()
_patch_depth = 0
_saved: dict[str, Any] = {}
_WATCHED = ("__lt__", "__le__", "__gt__", "__ge__", "__float__", "item", "__bool__")


def _watching(name: str, original: Any) -> Callable[..., Any]:
    what = {"__float__": "float() of a Value", "item": "Value.item()",
            "__bool__": "bool() of a Value (an `if` on it)"}.get(name, "comparing a Value")

    def watched(self: Value, *args: Any) -> Any:
        warnings.warn(
            f"{what} while tracing: the tape records the path taken at the example arguments "
            "and replays it for every input (it is specialised to these inputs); write the "
            "choice with an op (relu, abs, ...) to keep it differentiable and traced",
            TracerWarning,
            stacklevel=2,
        )
        if original is None:  # no __bool__ of its own: an object is true
            return True
        return original(self, *args)

    return watched


_OURS = ("autograd_core", "nn", "viz")


def _watching_data(member: Any) -> property:
    """``Value.data`` while tracing: the slot itself, with a warning when code outside the
    library reads it (an ``if x.data > 0`` in a model); the engine's own reads stay silent."""

    def get(self: Value) -> float:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.partition(".")[0] not in _OURS:
            warnings.warn(
                "reading Value.data while tracing: the number read is a constant of the tape "
                "(a branch on it is replayed as it went now, for every input); compute with "
                "the Value itself, or with an op (relu, abs, ...) to keep it traced",
                TracerWarning,
                stacklevel=2,
            )
        return member.__get__(self, Value)

    return property(get, member.__set__, doc=member.__doc__)


@contextlib.contextmanager
def _watch_values() -> Iterator[None]:
    global _patch_depth
    with _patch_lock:
        if _patch_depth == 0:
            for name in _WATCHED:
                original = Value.__dict__.get(name)
                _saved[name] = original
                setattr(Value, name, _watching(name, original))
            _saved["data"] = Value.__dict__["data"]
            Value.data = _watching_data(_saved["data"])  # type: ignore[method-assign]
        _patch_depth += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                for name in _WATCHED:
                    original = _saved.pop(name)
                    if original is None:
                        delattr(Value, name)
                    else:
                        setattr(Value, name, original)
                Value.data = _saved.pop("data")  # type: ignore[method-assign]


def trace(f: Callable[..., Any], *example_args: Any, params: Sequence[Value] = (),
          has_aux: bool = False, compile: bool = False) -> Tape:
    """Run ``f`` once on leaf Values holding ``example_args`` and record its graph as a tape.

    ``params`` are Values ``f`` uses from outside (a model's parameters): they become
    arguments of the tape after the positional ones, ``tape(*args, *param_numbers)``. Any
    other Value ``f`` uses is a constant of the tape. See the module docstring for what may
    be traced.

    ``has_aux=True`` (as in JAX): ``f`` returns ``(value, aux)``, ``aux`` a Value or a list
    of Values on the way to ``value`` (a model's outputs, say); the tape then gives
    ``(value, aux_list)`` where it gave ``value``: ``tape.value_and_grad(*args)`` returns
    ``((value, aux_list), grads)``.

    ``compile=True`` writes the float replay out as Python and compiles it now, instead of
    on the second float replay (see the module docstring).
    """
    if not callable(f):
        raise TypeError(f"trace() needs a function, got {type(f).__name__}")
    if isinstance(params, Value):
        raise TypeError("params must be a list of Values (model.parameters()), got one Value")
    if not isinstance(params, (list, tuple)):
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"params must be a list of Values, e.g. model.parameters(); got "
                f"{type(params).__name__}"
            ) from None
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value) or p._op is not None:
            raise TypeError(
                f"params[{i}] must be a leaf Value (a parameter), got "
                f"{'a computed Value' if isinstance(p, Value) else type(p).__name__}"
            )
    if len(set(map(id, params))) != len(params):
        raise ValueError("params lists a Value twice; give each parameter once")
    leaves = [
        Value(a.data if isinstance(a, Value) else to_float(a, f"example argument #{i}"))
        for i, a in enumerate(example_args)
    ]
    with _mode.enable_grad(), _watch_values():
        out = f(*leaves)
    aux: list[Value] | None = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(
                "with has_aux=True the traced function must return a pair (value, aux), got "
                f"{type(out).__name__} {out!r:.60}"
            )
        out, extra = out
        if isinstance(extra, Value):
            aux = [extra]
        elif isinstance(extra, (list, tuple)):
            aux = list(extra)
        else:
            raise TypeError(
                "with has_aux=True, aux must be a Value or a list of Values, got "
                f"{type(extra).__name__} {extra!r:.40}"
            )
        for i, a in enumerate(aux):
            if not isinstance(a, Value):
                raise TypeError(f"aux[{i}] must be a Value, got {type(a).__name__} {a!r:.40}")
    if not isinstance(out, Value):
        hint = ("; to return other Values with it, return (value, [values]) and trace with "
                "has_aux=True") if isinstance(out, tuple) and not has_aux else ""
        raise TypeError(
            f"the traced function must return a Value computed from its arguments, got "
            f"{type(out).__name__} {out!r:.60}{hint}"
        )
    tape = Tape(out, leaves + params, n_args=len(leaves), aux=aux, compile=compile)
    _warn_frozen(tape)
    return tape


def _warn_frozen(tape: Tape) -> None:
    """Warn when labelled Values the function used (a model's parameters, by their labels
    L0.n0.w0 ...) became constants of the tape: they were not passed as ``params``."""
    labels = [label for label in tape.constant_labels if label]
    if labels:
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3
                                         else "")
        warnings.warn(
            f"{len(labels)} labelled Value(s) the traced function uses are frozen in the tape "
            f"as constants ({shown}), with no gradient; to replay them with new numbers and "
            "get their gradients, pass them as params= (params=model.parameters())",
            UserWarning,
            stacklevel=3,
        )


def _aux_slot(slots: dict[Value, int], a: Value, i: int) -> int:
    slot = slots.get(a)
    if slot is None:
        raise ValueError(
            f"aux[{i}] is not on the way to the traced value: the tape records only what the "
            "value depends on; give as aux Values the value is computed from"
        )
    return slot


# --------------------------------------------------------------------------- the tape
class Tape:
    """A recorded graph: replay it with ``tape(*args)`` and ``tape.value_and_grad(*args)``.

    Made by :func:`trace`. ``steps`` lists the instructions ``(op, input slots, output
    slot)``; slots ``0 .. n_inputs - 1`` are the arguments, then come constants (in
    ``constants``, slot -> number) and the ops' results. ``source()`` shows the float replay
    as the Python it is compiled to.
    """

    def __init__(self, root: Value, inputs: Sequence[Value], *, n_args: int,
                 aux: Sequence[Value] | None = None, compile: bool = False) -> None:
        slots: dict[Value, int] = {}
        init: list[Any] = []
        for leaf in inputs:
            slots[leaf] = len(init)
            init.append(None)
        self.n_args = n_args
        self.n_inputs = len(inputs)
        self.constants: dict[int, float] = {}
        self.constant_labels: list[str] = []  # the constants' labels, for trace's warning
        steps: list[tuple[Op, tuple[int, ...], int]] = []
        order = topological_order(root, leaves=False) if root._op is not None else []
        order.reverse()  # evaluation order: every node after its parents
        for node in [root] if root._op is None else order:
            for parent in node.parents if node._op is not None else (node,):
                if parent not in slots:  # a leaf that is no argument: a constant
                    slots[parent] = len(init)
                    self.constants[len(init)] = parent.data
                    self.constant_labels.append(parent.label)
                    init.append(parent.data)
            if node._op is None:
                continue
            slots[node] = len(init)
            init.append(0.0)
            steps.append((node._op, tuple(slots[p] for p in node.parents), slots[node]))
        self.steps = steps
        self.output = slots[root]
        self.has_aux = aux is not None
        self.aux_slots = [_aux_slot(slots, a, i) for i, a in enumerate(aux or ())]
        self._init = init
        self._plans: dict[tuple[bool, ...], Any] = {}  # lane plans (autograd_core.lanes)
        self._lane_plans: dict[tuple[type, ...], Any] = {}  # the same, by argument types
        # The float replay compiled to Python (autograd_core.tape_compile): key True for
        # value_and_grad, False for the value only; None: too large, interpreted. Made on the
        # second float replay of its kind (the first is interpreted), or now with compile=True.
        self._programs: dict[bool, Program | None] = (
            {True: compile_tape(self, grads=True)} if compile else {})
        self._replayed: set[bool] = set()

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"<Tape: {self.n_inputs} input(s), {len(self.constants)} constant(s), "
                f"{len(self.steps)} step(s)>")

    def listing(self) -> str:
        """The tape as text, one instruction a line: ``s5 = tanh(s4)``."""
        def name(s: int) -> str:
            return repr(self.constants[s]) if s in self.constants else f"s{s}"
        lines = [f"inputs: {', '.join(f's{i}' for i in range(self.n_inputs)) or '(none)'}"]
        lines += [f"s{out} = {op.name}({', '.join(name(s) for s in ins)})"
                  for op, ins, out in self.steps]
        lines.append(f"output: {name(self.output)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ arguments
    def _arguments(self, args: tuple[Any, ...]) -> tuple[list[Any], int | None]:
        """The arguments as floats (and 1-d float arrays), and the lane count (None: floats)."""
        if len(args) != self.n_inputs:
            extra = f" ({self.n_args} traced, then {self.n_inputs - self.n_args} params)" if (
                self.n_inputs != self.n_args) else ""
            raise TypeError(
                f"this tape takes {self.n_inputs} argument(s){extra}, got {len(args)}"
                + ("; unpack a list of numbers with * (tape(*args, *theta))"
                   if any(isinstance(a, (list, tuple)) for a in args) else "")
            )
        values: list[Any] = []
        lanes: int | None = None
        for i, a in enumerate(args):
            if type(a) is float:
                values.append(a)
                continue
            if isinstance(a, (int, float)) and not isinstance(a, bool):
                values.append(to_float(a, f"argument #{i}"))
                continue
            if isinstance(a, (list, tuple)):
                raise TypeError(
                    f"argument #{i} is a {type(a).__name__}: give a number, or a 1-d NumPy "
                    "array for lanes (numpy.asarray(values))"
                )
            if not hasattr(a, "__array__") or hasattr(a, "_op"):
                values.append(to_float(a, f"argument #{i}"))  # a clear TypeError for junk
                continue
            np = numpy_or_error()
            masked = sys.modules.get("numpy.ma")  # a masked array exists only once it is loaded
            if masked is not None and isinstance(a, masked.MaskedArray):
                raise TypeError(
                    f"argument #{i} is a masked array: lane replay has no masks; fill it "
                    "(a.filled(value)) or drop the masked lanes first"
                )
            arr = np.asarray(a)
            if arr.ndim == 0:
                values.append(to_float(arr, f"argument #{i}"))
                continue
            if arr.ndim != 1:
                raise ValueError(
                    f"argument #{i} has shape {arr.shape}; lanes are 1-d arrays (one number "
                    "per lane)"
                )
            if arr.dtype.kind not in "fiu":
                raise TypeError(f"argument #{i}: lanes must hold real numbers, got dtype "
                                f"{arr.dtype}")
            if lanes is None:
                lanes = len(arr)
            elif len(arr) != lanes:
                raise ValueError(
                    f"argument #{i} has {len(arr)} lanes, an earlier array has {lanes}; "
                    "all array arguments must have the same length"
                )
            values.append(arr.astype(np.float64, copy=False))
        if lanes == 0:
            raise ValueError("lane arguments are empty (length 0); give at least one lane")
        return values, lanes

    # ------------------------------------------------------------------ replay
    def __call__(self, *args: Any) -> Any:
        """The traced function's value at ``args`` (an array of one value per lane with lanes)."""
        known = self._known_lanes(args)
        if known is not None:
            value, _, aux = known[0].run(args, known[1], grads=False)
            return (value, aux) if self.has_aux else value
        values, lanes = self._arguments(args)
        if lanes is not None:
            return self._lanes(values, lanes, grads=False)[0]
        program = self._program(grads=False)
        if program is not None:
            value, aux = program.run(values)
            return (value, aux) if self.has_aux else value
        slots = self._forward(values)
        if self.has_aux:
            return slots[self.output], [slots[s] for s in self.aux_slots]
        return slots[self.output]

    def value_and_grad(self, *args: Any) -> tuple[Any, list[Any]]:
        """``(value, grads)``: the value at ``args`` and d value / d argument for each one.

        On floats these are the numbers ``backward()`` gives on the graph built at ``args``,
        bit for bit. With lanes, the gradients of the sum over lanes: an array per array
        argument, a float (summed over lanes) per number argument.
        """
        known = self._known_lanes(args)
        if known is not None:
            value, grad_list, aux = known[0].run(args, known[1], grads=True)
            return ((value, aux) if self.has_aux else value), grad_list
        values, lanes = self._arguments(args)
        if lanes is not None:
            return self._lanes(values, lanes, grads=True)
        program = self._program(grads=True)
        if program is not None:
            value, aux, grads = program.run(values)
            return ((value, aux) if self.has_aux else value), grads
        slots = self._forward(values)
        if self.has_aux:
            return (slots[self.output], [slots[s] for s in self.aux_slots]), self._backward(slots)
        return slots[self.output], self._backward(slots)

    def _program(self, *, grads: bool, now: bool = False) -> Program | None:
        """The compiled replay (None: interpreted), written again if an op has changed; None
        on the first replay of its kind, which the interpreter runs."""
        program = self._programs.get(grads, self)
        if program is self and grads not in self._replayed and not now:
            self._replayed.add(grads)
            return None
        if program is self or (program is not None and program.stale()):
            program = self._programs[grads] = compile_tape(self, grads=grads)
        return program

    @property
    def compiled(self) -> bool:
        """Whether float replays run the tape compiled to Python (:meth:`source`, compiled
        now if it was not yet); False for a tape too large to compile
        (``tape_compile.MAX_TERMS``), which is interpreted."""
        return self._program(grads=True, now=True) is not None

    def __getstate__(self) -> dict[str, Any]:
        # A compiled function does not pickle: it is compiled again where the tape is loaded.
        return {**self.__dict__, "_programs": {}, "_plans": {}, "_lane_plans": {}}

    def source(self, *, grads: bool = True) -> str:
        """The float replay written out as Python, as it is compiled: the forward pass, one
        line per instruction, then (``grads=True``) the backward pass, one line per
        gradient (the sum of its contributions). See :mod:`autograd_core.tape_compile`."""
        return write(self, grads=grads)[0]

    def _forward(self, args: list[float]) -> list[Any]:
        slots = self._init.copy()
        slots[: self.n_inputs] = args
        for k, (op, ins, out) in enumerate(self.steps):
            xs = [slots[i] for i in ins]
            check = op.check
            if check is not None:
                err = check(*xs)
                if err is not None:
                    raise replay_note(refusal(op, err, xs), op, k)
            r = op.forward(xs) if op.kind == VARIADIC else op.forward(*xs)
            slots[out] = r if type(r) is float else result_as_float(op, r)
        return slots

    def _backward(self, slots: list[Any]) -> list[Any]:
        # graph.backward's fast loop, over slots instead of nodes, in the same order.
        grads: list[Any] = [0.0] * len(slots)
        grads[self.output] = 1.0
        k = len(self.steps)
        try:
            for op, ins, out in reversed(self.steps):
                k -= 1
                g = grads[out]
                kind = op.kind
                if kind == LINEAR_BINARY:
                    da, db = op.rules
                    grads[ins[0]] += g * da
                    grads[ins[1]] += g * db
                elif kind == BINARY:
                    a, b = ins
                    da, db = op.rules
                    x = slots[a]
                    y = slots[b]
                    o = slots[out]
                    grads[a] += g * da(x, y, o)
                    grads[b] += g * db(x, y, o)
                elif kind == UNARY:
                    a = ins[0]
                    grads[a] += g * op.rules[0](slots[a], slots[out])
                elif kind == LINEAR_UNARY:
                    grads[ins[0]] += g * op.rules[0]
                else:
                    local = op.rules[0]([slots[i] for i in ins], slots[out])
                    for i, d in zip(ins, local, strict=True):
                        grads[i] += g * d
        except (TypeError, ValueError) as exc:
            exc.add_note(f"(in the derivative rule of op {op.name!r}, tape step {k})")
            raise
        return grads[: self.n_inputs]

    # ------------------------------------------------------------------ lanes
    def _lanes(self, args: list[Any], lanes: int, *, grads: bool) -> tuple[Any, Any]:
        # The plan for these argument kinds (arrays or floats, as _arguments made them), found
        # by their types: a tuple of types is made in C, where a pattern of thousands of
        # parameters would cost a Python loop each replay.
        plan = self._lane_plans.get(tuple(map(type, args)))
        if plan is None:
            plan = self.plan(*args)
        value, grad_list, aux = plan.run(args, lanes, grads=grads)
        return ((value, aux) if self.has_aux else value), grad_list

    def _known_lanes(self, args: tuple[Any, ...]) -> tuple[Any, int] | None:
        """(plan, lane count) when ``args`` are of kinds already replayed on lanes, as they
        need no conversion (floats, and 1-d float64 arrays of one length): a training loop's
        replays skip checking and converting every argument again. Else None."""
        if not self._lane_plans:
            return None
        plan = self._lane_plans.get(tuple(map(type, args)))
        if plan is None:
            return None
        lanes = plan.lanes_of(args)
        return None if lanes is None else (plan, lanes)

    def plan(self, *args: Any) -> Any:
        """The lane plan for arguments like ``args`` (which are arrays, which numbers): its
        groups of instructions, one NumPy call each. Made on the first lane replay of that
        kind and kept; call it first to make it ahead of time, as a jit's first call does.
        See :mod:`autograd_core.lanes`."""
        values, lanes = self._arguments(args)
        if lanes is None:
            raise ValueError("a lane plan needs at least one array argument (the lanes)")
        kinds = tuple(map(type, values))
        plan = self._lane_plans.get(kinds)
        if plan is None:
            plan = self._lane_plans[kinds] = plan_for(self, tuple(k is not float for k in kinds))
        return plan

    def lane_listing(self, *args: Any) -> str:
        """How a lane replay at ``args`` runs: its groups of instructions, one NumPy call
        each (a layer's dot nodes as one matrix product). See :mod:`autograd_core.lanes`."""
        return self.plan(*args).listing()


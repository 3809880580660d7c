"""Lane replay: a tape run once over B *lanes* (one example per lane) with NumPy arrays.

This is where tensor frameworks get their speed, from the same chain rule as ``backward()``.
A traced per-example loss of a 2-16-16-1 network has about 70 instructions; replayed on 100
examples one at a time that is 7000 small float operations. Run on lanes it is still 70
instructions, each on an array of 100 numbers. Two observations take it further:

1. **Levels.** Give every instruction a level, one more than the highest level of its inputs.
   Instructions of one level never read each other, so those with the same op can run as
   *one* NumPy call on a 2-D array (one row per instruction, one column per lane): the 16
   ``relu`` of a layer become one ``where`` on a 16 x B array.
2. **Layers.** The ``dot`` nodes of one level that read the same inputs with number weights
   are a layer's neurons. Together they are a matrix product, ``W @ X + b`` with ``W`` made
   of the weights (one row per neuron), and their backward pass is two more:
   ``dW = G @ X.T`` (summed over the lanes, since a weight is shared by every lane),
   ``dX = W.T @ G``, ``db = G.sum(lanes)``.

So a replay is a short list of *groups* (print ``tape.lane_listing(*args)`` to see one). The
numbers live in two buffers: ``L``, one row of B numbers per slot that differs between lanes,
and ``F``, one number per slot that does not (parameters, constants, and whatever is computed
from them alone, such as an L2 penalty). Each group reads rows of them, and writes its outputs
as consecutive rows, so the next group reads a slice (no copy). Backward runs the groups in
reverse with the gradient buffers ``GL`` and ``GF``: a number read by every lane gets its
gradient summed over the lanes, as ``torch.autograd.grad(out.sum(), ...)`` gives.

Each op's array version (``Op.array``) does the work, and must be elementwise (it may be
given 1-d or 2-d arrays). An op with a domain check runs as a group of one on 1-d lanes, so
the error names the lane; an op without an array version runs lane by lane, with a warning.
What a user's array version returns is checked where it is used: a forward returns a real
array of its inputs' shape, a rule a number or a real array that broadcasts to it (a number,
a list, the wrong shape, bool, complex or objects are a TypeError/ValueError naming the op:
NumPy would broadcast them silently or fail deep inside). Its inputs are read-only views of
the buffers, so that one changing them in place is an error, not a wrong number elsewhere.
Results equal a Python loop over the lanes to about 1e-12 (matrix products and sums add in
another order than the float replay; where numbers overflow, one may give inf where the other
gives NaN).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .primitives import (
    BINARY,
    LINEAR_BINARY,
    LINEAR_UNARY,
    UNARY,
    VARIADIC,
    Op,
    check_derivative_list,
    refusal,
    result_as_float,
)
from .value import Value, to_float

INSTALL_HINT = "pip install 'autograd-core[fast]'"


def numpy_or_error() -> Any:
    """NumPy, imported on first use; an ImportError saying what to install without it."""
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "replaying a tape on lanes (array arguments) needs NumPy: "
            f"{INSTALL_HINT} (or pip install numpy); float arguments need nothing more"
        ) from None
    return numpy


def replay_note(exc: Exception, op: Op, k: int) -> Exception:
    """``exc`` with a note naming the tape step it came from."""
    exc.add_note(f"(replaying a tape: op {op.name!r} at step {k})")
    return exc


# --------------------------------------------------------------------------- rows
class Rows:
    """Where a group's inputs (or outputs) are in a buffer: a slice when they are consecutive
    rows, else an index array; ``unique`` says whether a row appears once (then ``+=`` on it
    is right; else gradients go through ``np.add.at``, which adds every occurrence)."""

    __slots__ = ("at", "rows", "unique")

    def __init__(self, rows: Sequence[int]) -> None:
        np = numpy_or_error()
        rows = list(rows)
        self.rows = rows
        self.unique = len(set(rows)) == len(rows)
        first = rows[0] if rows else 0
        if rows == list(range(first, first + len(rows))):
            self.at: Any = slice(first, first + len(rows))
        else:
            self.at = np.array(rows, dtype=np.intp)

    def add(self, buf: Any, c: Any) -> None:
        """``buf[rows] += c``, adding twice for a row that appears twice."""
        if self.unique:
            buf[self.at] += c
        else:
            numpy_or_error().add.at(buf, self.at, c)

    def __str__(self) -> str:
        if isinstance(self.at, slice):
            return f"[{self.at.start}:{self.at.stop}]" if len(self.rows) > 1 else (
                f"[{self.rows[0]}]")
        shown = ",".join(map(str, self.rows[:4])) + (",..." if len(self.rows) > 4 else "")
        return f"[{shown}]"


class Grid:
    """A (members x n) block of rows, for the weights of a layer or the inputs of a sum."""

    __slots__ = ("at", "rows", "unique")

    def __init__(self, rows: Sequence[Sequence[int]]) -> None:
        np = numpy_or_error()
        self.at = np.array(rows, dtype=np.intp).reshape(len(rows), -1)
        flat = self.at.ravel().tolist()
        self.rows = flat
        self.unique = len(set(flat)) == len(flat)

    def add(self, buf: Any, c: Any) -> None:
        if self.unique:
            buf[self.at] += c
        else:
            numpy_or_error().add.at(buf, self.at, c)


# --------------------------------------------------------------------------- groups
class Group:
    """Instructions run together. ``forward(L, F)`` writes their results; ``backward``
    sends the gradients of their outputs to their inputs, in ``GL`` and ``GF``."""

    name = "group"
    steps: list[int]

    def forward(self, L: Any, F: Any) -> None:
        raise NotImplementedError

    def backward(self, L: Any, F: Any, GL: Any, GF: Any) -> None:
        raise NotImplementedError


def _array_forward(op: Op) -> Callable[..., Any]:
    """The op's forward function for arrays: its array version, else the float one."""
    fwd = (op.array or {}).get("forward", op.forward)
    if not callable(fwd):
        raise TypeError(
            f"op {op.name!r}: array['forward'] must be a function of arrays, got "
            f"{type(fwd).__name__} {fwd!r:.60}"
        )
    return fwd


# The engine's own array versions (written in autograd_core and nn, or NumPy's and
# operator's functions used as they are) return arrays of the right shape and dtype by
# construction: their groups skip the checks on what a user's array version returns, which
# would cost a third of a small network's replay.
_OUR_MODULES = ("autograd_core.", "nn.", "numpy")
_OUR_BUILTINS = ("_operator", "operator", "builtins")


def _ours(op: Op) -> bool:
    """Whether every function the lane replay calls for ``op`` is the engine's own."""
    arr = op.array or {}
    functions = [arr.get("forward", op.forward)]
    rules = arr.get("rules", op.rules) if op.kind in (UNARY, BINARY, VARIADIC) else ()
    functions += [r for r in rules if callable(r)]
    for f in functions:
        module = getattr(f, "__module__", None) or ""
        if not (module.startswith(_OUR_MODULES) or module in _OUR_BUILTINS):
            return False
    return True


def _array_rules(op: Op) -> tuple[Any, ...]:
    """The op's derivative rules for arrays: its array rules when it has them."""
    arr = op.array or {}
    if op.kind in (UNARY, BINARY, VARIADIC) and "rules" in arr:
        rules = []
        for i, r in enumerate(arr["rules"]):
            if callable(r):
                rules.append(r)
            elif isinstance(r, (int, float)) and not isinstance(r, bool):
                rules.append(_const(float(r)))
            else:
                raise TypeError(
                    f"op {op.name!r}: array['rules'][{i}] must be a function (*inputs, out) "
                    f"of arrays or a number, got {type(r).__name__} {r!r:.60}"
                )
        return tuple(rules)
    return op.rules


def _const(c: float) -> Callable[..., float]:
    return lambda *_: c


# What an op's array functions return is checked where it is used: an elementwise result has
# exactly the shape of its inputs' block, holds real numbers, and is an array (a number or a
# list would broadcast silently, or fail deep inside NumPy). The engine's ops pass the first,
# cheap test; anything else is converted (ints, float32) or refused, naming the op.
def _forward_result(op: Op, r: Any, shape: tuple[int, ...]) -> Any:
    """``r``, the array forward's result on inputs of ``shape``, as a float64 array."""
    np = numpy_or_error()
    if type(r) is np.ndarray and r.dtype == np.float64 and r.shape == shape:
        return r
    what = f"the array forward of op {op.name!r}"
    need = f"it must return a NumPy array of real numbers, one value per lane (shape {shape})"
    return _real_array(r, shape, what, need, exact=True)


def _rule_result(op: Op, i: int | None, d: Any, shape: tuple[int, ...]) -> Any:
    """``d``, an array rule's local derivative for outputs of ``shape``: a number, or a real
    array of that shape (or one that broadcasts to it: a number shared by the lanes)."""
    if type(d) is float:
        return d
    np = numpy_or_error()
    if type(d) is np.ndarray and d.dtype == np.float64 and d.shape == shape:
        return d
    what = (f"array derivative rule #{i} of op {op.name!r}" if i is not None else
            f"the array derivative rule of variadic op {op.name!r} (one of its derivatives)")
    if isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(
            d, (bool, np.bool_)):
        return float(d)
    need = f"it must return a number or a NumPy array of real numbers of shape {shape}"
    return _real_array(d, shape, what, need, exact=False)


def _real_array(r: Any, shape: tuple[int, ...], what: str, need: str, *, exact: bool) -> Any:
    np = numpy_or_error()
    if isinstance(r, (list, tuple)):
        raise TypeError(f"{what} returned a {type(r).__name__}; {need} (np.asarray(...) of it)")
    if isinstance(r, Value) or not isinstance(r, (np.ndarray, np.generic, int, float)):
        raise TypeError(f"{what} returned {type(r).__name__} {r!r:.60}; {need}")
    arr = np.asarray(r)
    if arr.dtype.kind not in "fiu":
        raise TypeError(
            f"{what} returned {'an array' if arr.ndim else 'a number'} of dtype {arr.dtype}; "
            f"{need} (not bool, complex or objects: (x > 0) * 1.0 for a 0/1 mask)"
        )
    if exact and arr.ndim == 0:
        raise ValueError(
            f"{what} returned a number ({float(arr)!r}) for lanes of shape {shape}; {need} "
            "(np.full_like(x, c) for a constant)"
        )
    if exact:
        ok = arr.shape == shape
    else:
        try:
            ok = np.broadcast_shapes(arr.shape, shape) == shape
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(
            f"{what} returned an array of shape {arr.shape} for lanes of shape {shape}; {need}. "
            "Array versions are elementwise: they are given 1-d lanes, or a 2-D block (one row "
            "per instruction, one column per lane), and keep that shape"
        )
    return arr.astype(np.float64)


def _local(op: Op, rules: Sequence[Any], xs: list[Any], out: Any) -> Sequence[Any]:
    kind = op.kind
    if kind == VARIADIC:
        return rules[0](xs, out)
    if kind == LINEAR_BINARY or kind == LINEAR_UNARY:
        return rules
    return [r(*xs, out) for r in rules]


def _checked_local(op: Op, rules: Sequence[Any], xs: list[Any], out: Any,
                   shape: tuple[int, ...]) -> list[Any]:
    """The local derivatives from the array rules, each checked by :func:`_rule_result`."""
    local = _local(op, rules, xs, out)
    if op.kind == VARIADIC:
        check_derivative_list(local, len(xs), f"the array derivative rule of variadic op "
                              f"{op.name!r}")
        return [_rule_result(op, None, d, shape) for d in local]
    return [_rule_result(op, i, d, shape) for i, d in enumerate(local)]


class Elementwise(Group):
    """One op on many slots of one level: each input a (members x B) block, or (members x 1)
    for numbers read by every lane; or (members,) when nothing differs between lanes."""

    def __init__(self, op: Op, steps: list[int], ins: list[tuple[bool, Rows]], out: Rows,
                 lanes_out: bool) -> None:
        self.op, self.steps, self.ins, self.out, self.lanes_out = op, steps, ins, out, lanes_out
        self.fwd = _array_forward(op)
        self.rules = _array_rules(op)
        self.name = op.name
        self.ours = _ours(op)

    def _inputs(self, L: Any, F: Any) -> list[Any]:
        if not self.lanes_out:
            xs = [F[r.at] for _, r in self.ins]
        else:
            xs = [L[r.at] if lane else F[r.at][:, None] for lane, r in self.ins]
        return xs if self.ours else _read_only(xs)

    def forward(self, L: Any, F: Any) -> None:
        xs = self._inputs(L, F)
        r = self.fwd(xs) if self.op.kind == VARIADIC else self.fwd(*xs)
        if not self.ours:
            shape = (len(self.steps), L.shape[1]) if self.lanes_out else (len(self.steps),)
            r = _forward_result(self.op, r, shape)
        (L if self.lanes_out else F)[self.out.at] = r

    def backward(self, L: Any, F: Any, GL: Any, GF: Any) -> None:
        g = (GL if self.lanes_out else GF)[self.out.at]
        xs = self._inputs(L, F)
        out = (L if self.lanes_out else F)[self.out.at]
        if self.ours:
            local = _local(self.op, self.rules, xs, out)
        else:
            out.flags.writeable = False
            local = _checked_local(self.op, self.rules, xs, out, g.shape)
        for (lane, rows), d in zip(self.ins, local, strict=True):
            c = g if type(d) is float and d == 1.0 else g * d
            if lane:
                rows.add(GL, c)
            elif self.lanes_out:
                rows.add(GF, c.sum(axis=1) if getattr(c, "ndim", 0) == 2 else c * L.shape[1])
            else:
                rows.add(GF, c)


class Layer(Group):
    """The ``dot`` nodes of one level with number weights and lane inputs: ``W @ X + b``.

    When all of them read the same inputs, ``X`` is one (n x B) block and this is a matrix
    product; otherwise ``X`` is (members x n x B) and each row takes its own inputs."""

    name = "matmul"

    def __init__(self, steps: list[int], w: Grid, x: Rows | Grid, b: Rows | None,
                 out: Rows) -> None:
        self.steps, self.w, self.x, self.b, self.out = steps, w, x, b, out
        self.shared = isinstance(x, Rows)
        if not self.shared:
            self.name = "dots"

    def forward(self, L: Any, F: Any) -> None:
        np = numpy_or_error()
        W = F[self.w.at]
        X = L[self.x.at]
        r = W @ X if self.shared else np.einsum("rn,rnb->rb", W, X)
        if self.b is not None:
            r += F[self.b.at][:, None]
        L[self.out.at] = r

    def backward(self, L: Any, F: Any, GL: Any, GF: Any) -> None:
        np = numpy_or_error()
        G = GL[self.out.at]
        W = F[self.w.at]
        X = L[self.x.at]
        if self.shared:
            self.w.add(GF, G @ X.T)  # a weight is read by every lane: summed over them
            self.x.add(GL, W.T @ G)
        else:
            self.w.add(GF, np.einsum("rb,rnb->rn", G, X))
            self.x.add(GL, W[:, :, None] * G[:, None, :])
        if self.b is not None:
            self.b.add(GF, G.sum(axis=1))


class Sum(Group):
    """``sum_of`` nodes of one level whose inputs all differ between lanes, or all do not
    (an L2 penalty's ``sum(p*p)``): one sum over a gathered block."""

    name = "sum"

    def __init__(self, steps: list[int], x: Grid, lanes: bool, out: Rows) -> None:
        self.steps, self.x, self.lanes, self.out = steps, x, lanes, out

    def forward(self, L: Any, F: Any) -> None:
        buf = L if self.lanes else F
        buf[self.out.at] = buf[self.x.at].sum(axis=1)

    def backward(self, L: Any, F: Any, GL: Any, GF: Any) -> None:
        g = (GL if self.lanes else GF)[self.out.at]
        n = self.x.at.shape[1]
        if self.lanes:
            self.x.add(GL, numpy_or_error().repeat(g[:, None, :], n, axis=1))
        else:
            self.x.add(GF, numpy_or_error().repeat(g[:, None], n, axis=1))


class Single(Group):
    """One instruction on 1-d lanes: an op with a domain check (its error names the lane),
    an op without an array version (run lane by lane), or one on numbers only that has no
    array version (run on floats)."""

    def __init__(self, op: Op, step: int, ins: list[tuple[bool, int]], out: int,
                 lanes_out: bool) -> None:
        self.op, self.steps, self.ins, self.out, self.lanes_out = op, [step], ins, out, lanes_out
        self.name = op.name
        arr = op.array
        self.by_lane = lanes_out and arr is None
        self.on_arrays = lanes_out and arr is not None
        if self.on_arrays:
            self.fwd = _array_forward(op)
            self.rules = _array_rules(op)
            self.check = arr.get("check")
            if self.check is None and op.check is not None:
                self.check = _per_lane_check(op.check)
                _warn_once(op, "check", (
                    f"op {op.name!r} has a check but no array check, so lane replay runs the "
                    "check lane by lane (slow); give it one with primitive(..., array={'check':"
                    " ...}) returning the first bad lane's error (None when all are fine)"))
            if self.check is not None and not callable(self.check):
                raise TypeError(f"op {op.name!r}: array['check'] must be a function of the "
                                f"inputs, got {type(self.check).__name__}")
        else:
            self.fwd, self.rules, self.check = op.forward, op.rules, op.check
            if self.by_lane:
                _warn_lane_by_lane(op)

    def _inputs(self, L: Any, F: Any) -> list[Any]:
        return _read_only([L[i] if lane else float(F[i]) for lane, i in self.ins])

    def forward(self, L: Any, F: Any) -> None:
        op = self.op
        xs = self._inputs(L, F)
        if self.by_lane:
            row = L[self.out]
            for j in range(L.shape[1]):
                try:
                    row[j] = op.evaluate(_lane(xs, j))
                except Exception as exc:
                    exc.add_note(f"(in lane {j} of {L.shape[1]})")
                    raise
            return
        if self.check is not None:
            err = self.check(*xs)
            if err is not None:
                raise replay_note(refusal(op, err, xs), op, self.steps[0])
        r = self.fwd(xs) if op.kind == VARIADIC else self.fwd(*xs)
        if self.lanes_out:
            L[self.out] = _forward_result(op, r, (L.shape[1],))
        else:
            F[self.out] = r if type(r) is float else result_as_float(op, r)

    def backward(self, L: Any, F: Any, GL: Any, GF: Any) -> None:
        xs = self._inputs(L, F)
        if not self.lanes_out:
            g = float(GF[self.out])
            local = _local(self.op, self.rules, xs, float(F[self.out]))
            for (_, i), d in zip(self.ins, local, strict=True):
                GF[i] += g * d
            return
        g = GL[self.out]
        out = L[self.out]
        out.flags.writeable = False
        if self.by_lane:
            local = _lane_by_lane_rules(self.op, xs, out, L.shape[1])
        else:
            local = _checked_local(self.op, self.rules, xs, out, g.shape)
        for (lane, i), d in zip(self.ins, local, strict=True):
            c = g * d
            if lane:
                GL[i] += c
            else:
                GF[i] += c.sum() if getattr(c, "ndim", 0) else c * L.shape[1]


def _read_only(xs: list[Any]) -> list[Any]:
    """``xs`` (views of the buffers) made read-only: an array version that changed its input
    in place (``x *= 2``) would change the numbers other instructions read."""
    for x in xs:
        if type(x) is not float:
            x.flags.writeable = False
    return xs


def _lane(xs: list[Any], j: int) -> list[float]:
    return [float(x[j]) if getattr(x, "ndim", 0) else x for x in xs]


def _per_lane_check(check: Callable[..., Any]) -> Callable[..., Any]:
    """An op's float check run on each lane: its error at the first lane outside the domain."""

    def lane_check(*xs: Any) -> Any:
        n = max(len(x) for x in xs if getattr(x, "ndim", 0))
        for j in range(n):
            err = check(*_lane(list(xs), j))
            if err is not None:
                if isinstance(err, Exception):
                    err.add_note(f"(in lane {j} of {n})")
                return err
        return None

    return lane_check


def _lane_by_lane_rules(op: Op, xs: list[Any], out: Any, lanes: int) -> list[Any]:
    """An op's float rules, lane by lane: one array of local derivatives per input."""
    np = numpy_or_error()
    columns = np.empty((lanes, len(xs)))
    for j in range(lanes):
        at = _lane(xs, j)
        o = float(out[j])
        try:
            local = (_local(op, op.rules, at, o) if op.kind == VARIADIC else
                     [r if isinstance(r, float) else r(*at, o) for r in op.rules])
            if len(local) != len(xs):
                raise ValueError(
                    f"the derivative rule of variadic op {op.name!r} returned {len(local)} "
                    f"derivative(s) for {len(xs)} inputs; it must return one per input")
            for i, d in enumerate(local):
                columns[j, i] = d if type(d) is float else to_float(
                    d, f"derivative rule #{i} of op {op.name!r} (on floats)")
        except Exception as exc:
            exc.add_note(f"(in lane {j} of {lanes})")
            raise
    return list(columns.T)


_warned_ops: set[tuple[str, str]] = set()


def _warn_lane_by_lane(op: Op) -> None:
    _warn_once(op, "forward", (
        f"op {op.name!r} has no array version, so lane replay runs it lane by lane (slow); "
        "give it one with primitive(..., array={'forward': ..., 'rules': (...)}), or "
        "array={} if its float functions work on NumPy arrays as they are"), stacklevel=6)


def _warn_once(op: Op, what: str, message: str, stacklevel: int = 5) -> None:
    if (op.name, what) in _warned_ops:
        return
    _warned_ops.add((op.name, what))
    warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------- the plan
class Plan:
    """A tape's groups for one pattern of lane arguments (which arguments are arrays)."""

    def __init__(self, tape: Any, lane_args: tuple[bool, ...]) -> None:
        from .ops import _dot, _sum

        steps = tape.steps
        n_slots = len(tape._init)
        lane = [False] * n_slots
        lane[: tape.n_inputs] = lane_args
        level = [0] * n_slots
        keys: dict[tuple[Any, ...], list[int]] = {}
        for k, (op, ins, out) in enumerate(steps):
            lane[out] = any(lane[i] for i in ins)
            level[out] = 1 + max((level[i] for i in ins), default=0)
            keys.setdefault(self._key(op, ins, lane, level[out], k, _dot, _sum), []).append(k)
        # Rows: the arguments and constants first, then each group's outputs together.
        self.lane_row: dict[int, int] = {}
        self.float_row: dict[int, int] = {}
        for s in range(tape.n_inputs):
            self._place(s, lane[s])
        for s in tape.constants:
            self._place(s, False)
        ordered = sorted(keys.items(), key=lambda kv: (kv[0][0], kv[1][0]))
        _in_reading_order(ordered, steps)
        for _, members in ordered:
            for k in members:
                self._place(steps[k][2], lane[steps[k][2]])
        self.lane = lane
        self.groups = [self._group(key, members, steps) for key, members in ordered]
        np = numpy_or_error()
        self.F0 = np.zeros(len(self.float_row))
        for s, c in tape.constants.items():
            self.F0[self.float_row[s]] = c
        self.n_lane_rows = len(self.lane_row)
        self.output = self._where(tape.output)
        self.args = [self._where(s) for s in range(tape.n_inputs)]
        self.aux = [self._where(s) for s in tape.aux_slots]
        # Number arguments (a model's parameters, often thousands) go in and out of F at once.
        self.lane_args = [(i, row) for i, (lanes, row) in enumerate(self.args) if lanes]
        self.number_args = [i for i, (lanes, _) in enumerate(self.args) if not lanes]
        self.number_rows = np.array([self.args[i][1] for i in self.number_args], dtype=np.intp)
        # Usually the numbers are the last arguments and the first rows of F: then they go in
        # and their gradients come out as one slice each.
        k, rows = len(self.number_args), self.number_rows.tolist()
        first = self.number_args[0] if k else 0
        self.number_span: tuple[int, int, int] | None = None
        if k and self.number_args == list(range(first, first + k)) and rows == list(
                range(rows[0], rows[0] + k)):
            self.number_span = (first, rows[0], k)

    def lanes_of(self, args: Sequence[Any]) -> int | None:
        """The lane count of ``args`` when its arrays are 1-d float64 of one non-zero length
        (ready to run as they are), else None (the tape then checks and converts them)."""
        n = None
        for i, _ in self.lane_args:
            a = args[i]
            if a.ndim != 1 or a.dtype.char != "d" or (n is not None and len(a) != n):
                return None
            n = len(a)
        return n or None

    def _where(self, slot: int) -> tuple[bool, int]:
        """(whether the slot differs between lanes, its row in L or in F)."""
        lanes = self.lane[slot]
        return lanes, (self.lane_row if lanes else self.float_row)[slot]

    def _place(self, slot: int, lanes: bool) -> None:
        rows = self.lane_row if lanes else self.float_row
        if slot not in rows:
            rows[slot] = len(rows)

    @staticmethod
    def _key(op: Op, ins: tuple[int, ...], lane: list[bool], level: int, k: int,
             dot: Op, sum_op: Op) -> tuple[Any, ...]:
        pattern = tuple(lane[i] for i in ins)
        lanes_out = any(pattern)
        has_array = op.array is not None
        checked = op.check is not None or (has_array and "check" in op.array)
        if not has_array or checked:
            return (level, "single", k)
        if op is dot and lanes_out:
            n = len(ins) // 2
            if n and not any(pattern[:n]) and all(pattern[n : 2 * n]) and not any(
                    pattern[2 * n :]):
                return (level, "layer", n, len(ins) % 2)
        if op is sum_op and len(set(pattern)) == 1:
            return (level, "sum", len(ins), lanes_out)
        return (level, "elementwise", op, pattern)

    def _rows(self, slots: Sequence[int], lanes: bool) -> Rows:
        where = self.lane_row if lanes else self.float_row
        return Rows([where[s] for s in slots])

    def _grid(self, slots: Sequence[Sequence[int]], lanes: bool) -> Grid:
        where = self.lane_row if lanes else self.float_row
        return Grid([[where[s] for s in row] for row in slots])

    def _group(self, key: tuple[Any, ...], members: list[int], steps: Sequence[Any]) -> Group:
        kind = key[1]
        insts = [steps[k] for k in members]
        outs = [out for _, _, out in insts]
        lanes_out = self.lane[outs[0]]
        if kind == "single":
            op, ins, out = insts[0]
            return Single(op, members[0], [self._where(i) for i in ins], self._where(out)[1],
                          lanes_out)
        out_rows = self._rows(outs, lanes_out)
        if kind == "layer":
            n = key[2]
            w = self._grid([ins[:n] for _, ins, _ in insts], False)
            xs = [ins[n : 2 * n] for _, ins, _ in insts]
            x: Rows | Grid = (self._rows(xs[0], True) if all(r == xs[0] for r in xs)
                              else self._grid(xs, True))
            b = self._rows([ins[2 * n] for _, ins, _ in insts], False) if key[3] else None
            return Layer(members, w, x, b, out_rows)
        if kind == "sum":
            return Sum(members, self._grid([ins for _, ins, _ in insts], lanes_out), lanes_out,
                       out_rows)
        op, pattern = key[2], key[3]
        ins = [(lane, self._rows([inst[1][p] for inst in insts], lane))
               for p, lane in enumerate(pattern)]
        return Elementwise(op, members, ins, out_rows, lanes_out)

    # ------------------------------------------------------------------ running
    def run(self, args: Sequence[Any], lanes: int, *, grads: bool) -> tuple[Any, Any, Any]:
        """(value per lane, gradients or None, aux values per lane) at ``args``."""
        np = numpy_or_error()
        L = np.empty((self.n_lane_rows, lanes))
        F = self.F0.copy()
        for i, row in self.lane_args:
            L[row] = args[i]
        span = self.number_span
        if span is not None:
            first, frow, k = span
            F[frow : frow + k] = args[first : first + k]
        else:
            F[self.number_rows] = [args[i] for i in self.number_args]
        with np.errstate(all="ignore"):
            for group in self.groups:
                try:
                    group.forward(L, F)
                except Exception as exc:
                    if isinstance(exc, ValueError) and "read-only" in str(exc):
                        raise _in_place(group) from exc
                    if not any("replaying a tape" in n for n in getattr(exc, "__notes__", ())):
                        exc.add_note(f"(replaying a tape on lanes: op group {group.name!r}, "
                                     f"tape step {group.steps[0]})")
                        if isinstance(group, Elementwise) and isinstance(exc, TypeError):
                            exc.add_note(
                                "(its array forward is given 2-D blocks, one row per "
                                "instruction and one column per lane: write it with NumPy "
                                "functions, elementwise, not a loop over the lanes)")
                    raise
            lane, row = self.output
            value = L[row].copy() if lane else np.full(lanes, F[row])
            aux = [L[r].copy() if a else np.full(lanes, F[r]) for a, r in self.aux]
            if not grads:
                return value, None, aux
            GL = np.zeros_like(L)
            GF = np.zeros_like(F)
            # d(sum over lanes)/d(output): 1 in every lane; a number output counts B times.
            if lane:
                GL[row] = 1.0
            else:
                GF[row] = float(lanes)
            for group in reversed(self.groups):
                try:
                    group.backward(L, F, GL, GF)
                except Exception as exc:
                    if isinstance(exc, ValueError) and "read-only" in str(exc):
                        raise _in_place(group) from exc
                    exc.add_note(f"(in the derivative rule of op group {group.name!r}, "
                                 f"tape step {group.steps[0]})")
                    raise
        grad_list: list[Any] = [0.0] * len(self.args)
        for i, row in self.lane_args:
            grad_list[i] = GL[row].copy()
        if span is not None:
            grad_list[first : first + k] = GF[frow : frow + k].tolist()
        else:
            for i, g in zip(self.number_args, GF[self.number_rows].tolist(), strict=True):
                grad_list[i] = g
        return value, grad_list, aux

    def listing(self) -> str:
        """The groups as text, one a line: what runs as one NumPy call."""
        lines = [f"{self.n_lane_rows} lane rows (L), {len(self.float_row)} numbers (F), "
                 f"{len(self.groups)} groups"]
        for g in self.groups:
            if isinstance(g, Layer):
                r, n = g.w.at.shape
                x = f"L{g.x}" if g.shared else f"L[{r}x{n} rows]"
                what = f"W({r}x{n}) @ {x}" + (" + b" if g.b is not None else "")
                n = len(g.steps)
                lines.append(f"L{g.out} = {what}  ({n} dot node{'s' if n > 1 else ''})")
            elif isinstance(g, Sum):
                buf = "L" if g.lanes else "F"
                lines.append(f"{buf}{g.out} = sum over {g.x.at.shape[1]} inputs"
                             f"  ({len(g.steps)} sum node{'s' if len(g.steps) > 1 else ''})")
            elif isinstance(g, Elementwise):
                buf = "L" if g.lanes_out else "F"
                args = ", ".join(f"{'L' if lane else 'F'}{r}" for lane, r in g.ins)
                lines.append(f"{buf}{g.out} = {g.name}({args})  ({len(g.steps)} node"
                             f"{'s' if len(g.steps) > 1 else ''})")
            else:
                how = "lane by lane" if g.by_lane else ("checked, 1-d" if g.lanes_out
                                                       else "on floats")
                lines.append(f"step {g.steps[0]}: {g.name} ({how})")
        return "\n".join(lines)


def _in_place(group: Group) -> ValueError:
    return ValueError(
        f"an array version of op {group.name!r} (tape step {group.steps[0]}) changed its "
        "inputs in place (x *= 2, x[...] = ...): array versions must return new arrays and "
        "leave their arguments as they are (write y = x * 2)"
    )


def _in_reading_order(ordered: list[tuple[Any, list[int]]], steps: Sequence[Any]) -> None:
    """Each group's members sorted as the groups after it read their outputs, so that a
    layer's outputs sit in the rows the next layer reads in order (a slice, not a gather).

    From the last group back: a group's members are ordered by where their outputs are first
    read, and then each of their inputs is ranked by (group, input position, member)."""
    rank: dict[int, tuple[int, int, int]] = {}
    for g in range(len(ordered) - 1, -1, -1):
        members = ordered[g][1]
        members.sort(key=lambda k: (rank.get(steps[k][2], (len(ordered), 0, 0)), k))
        for m, k in enumerate(members):
            for p, slot in enumerate(steps[k][1]):
                rank.setdefault(slot, (g, p, m))


def plan_for(tape: Any, lane_args: tuple[bool, ...]) -> Plan:
    """The tape's plan for these lane arguments, made once and kept on the tape."""
    plan = tape._plans.get(lane_args)
    if plan is None:
        plan = tape._plans[lane_args] = Plan(tape, lane_args)
    return plan

"""A tape written out as Python: straight-line source for its forward and backward pass.

The tape interpreter (``Tape._forward`` and ``Tape._backward``) pays, for every instruction,
a turn of its loop, a look at the op's kind, a list of the inputs and a call of each rule.
A tape does not change once traced, so all of that can be decided once: this module writes
the tape down as one Python function, a line per instruction, and compiles it. A traced
neuron ``relu(w0 * 0.5 + w1 * -2.0 + b)``, as a function of its parameters, reads:

>>> from autograd_core import dot, trace
>>> tape = trace(lambda w0, w1, b: dot([w0, w1], [0.5, -2.0], bias=b).relu(), 0.1, 0.2, 0.3)
>>> print(tape.source())
def replay(args):
    s0, s1, s2 = args
    s5 = sum((s0 * 0.5, s1 * (-2.0)), s2)
    s6 = 0.0 if s5 <= 0 else s5
    g6 = 1.0
    g5 = 0.0 + g6 * (0.0 if s5 <= 0 else 1.0)
    g0 = 0.0 + g5 * 0.5
    g1 = 0.0 + g5 * (-2.0)
    g2 = 0.0 + g5
    return s6, [], [g0, g1, g2]
<BLANKLINE>

Each slot of the tape is a local variable: ``s5`` its value, ``g5`` the derivative of the
output with respect to it. The backward half is the chain rule spelt out: the forward half
read from the bottom up, each gradient the sum over the uses of its slot,
``gI = 0.0 + gK * dsK/dsI + gL * dsL/dsI + ...``, written where the backward pass reaches
the instruction that made ``sI`` (every use of it comes later in the tape, so each ``gK``
is complete by then). Compiled, this runs several times faster than the interpreter: no
loop, no look-ups, every number in a local variable.

**Bit for bit.** The function does what the interpreter does, in the same order, so its
numbers are the interpreter's (and ``backward()``'s) to the last bit:

- the built-in ops whose forward and rules are plain arithmetic are written as that
  arithmetic (``+ - *``, ``neg``, ``relu``, ``dot``, ``sum``; ``tanh``, ``exp`` and
  ``sigmoid`` call their forward and write their rule): the same expression on the same
  floats gives the same float. ``dot`` and ``sum`` call the built-in ``sum`` on the same
  products and the same start as the op does, so they add in its order whatever the Python
  version's ``sum`` does. An op is written out only while it has the forward, rules and
  check this module was written for; a tape whose op has been changed since it was compiled
  is compiled again;
- every other op (``log``, ``**``, a user's ``primitive``) is called, ``s9 = op3(s4)``,
  after its domain check, and each of its rules is called into a temporary
  (``d9_0 = op3_d0(s4, s9)``) where the interpreter calls it;
- each gradient starts as ``0.0 +`` its first contribution, as the interpreter's list of
  zeros does (so a ``-0.0`` becomes ``0.0`` where it does there), and its contributions are
  added in the interpreter's order (``x += a; x += b`` is ``x = x + a + b``). A constant
  derivative 1.0 or -1.0 is written ``+ g`` or ``- g``: the same number (NaN stays NaN; which
  NaN is not promised).

Errors are the interpreter's too: a domain check that refuses names the op and the step, a
derivative rule that fails gets the note naming the step (found from the line it failed
on, at no cost until then).

**Safety.** Nothing a user wrote goes into the source: ops are reached through variables
(``op3``, ``op3_d0``) of the function's namespace, and so are constants other than floats
whose ``repr`` reads back as the same float.

**Size.** Compiling costs time and memory in proportion to the source, about a term per
input of each instruction: ~10 us and ~2.5 kB of peak memory a term on CPython 3.11 (W3's
whole-loss tape, ~70 000 terms, compiles in ~0.7 s). Above ``MAX_TERMS`` terms a tape is
not compiled: the interpreter replays it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from . import ops as _ops
from .lanes import replay_note
from .primitives import LINEAR_BINARY, LINEAR_UNARY, VARIADIC, Op, refusal, result_as_float

__all__ = ["MAX_TERMS", "Program", "changed", "compile_tape", "count_terms", "op_state", "write"]

# ~10 us and ~2.5 kB of peak memory per term (one input of one instruction) to compile: at
# the limit about 1.5 s and 400 MB, once, for a replay ~5x faster than the interpreter's.
# W3's whole-loss tape (100 points through a 2-16-16-1 MLP) has ~70 000 terms.
MAX_TERMS = 150_000
_TERMS_PER_LINE = 32  # a longer sum is written on several lines (the compiler recurses on one)


# --------------------------------------------------------------------------- written out
# How an op is written when it is not called: its forward as an expression of the input
# names, and the contribution to each input's gradient as an expression of the output's
# gradient ``g``, the inputs and the output ``o``. Each entry holds the forward, rules and
# check it was written for; if any of them is changed, the op is called instead.
def _relu_forward(x: str) -> str:
    return f"0.0 if {x} <= 0 else {x}"


_WRITTEN: dict[Op, tuple[Any, ...]] = {}


def _writes(op: Op, forward: Callable[..., str], *contributions: Callable[..., str | None],
            builtins: Sequence[tuple[str, Any]] = ()) -> None:
    _WRITTEN[op] = (op.forward, op.rules, op.check, forward, contributions, tuple(builtins))


# A contribution of None is "g times 1.0", written ``+ g``; "-" is "g times -1.0", ``- g``.
_writes(_ops.add, lambda a, b: f"{a} + {b}", lambda g, a, b, o: None,
        lambda g, a, b, o: None)
_writes(_ops.sub, lambda a, b: f"{a} - {b}", lambda g, a, b, o: None,
        lambda g, a, b, o: "-")
_writes(_ops.mul, lambda a, b: f"{a} * {b}", lambda g, a, b, o: f"{g} * {b}",
        lambda g, a, b, o: f"{g} * {a}")
_writes(_ops.neg, lambda a: f"-{a}", lambda g, a, o: "-")
_writes(_ops.relu, _relu_forward, lambda g, a, o: f"{g} * (0.0 if {a} <= 0 else 1.0)")
_writes(_ops.tanh, lambda a: f"tanh({a})", lambda g, a, o: f"{g} * (1 - {o} * {o})",
        builtins=[("tanh", _ops.tanh.forward)])
_writes(_ops.exp, lambda a: f"exp({a})", lambda g, a, o: f"{g} * {o}",
        builtins=[("exp", _ops.exp.forward)])
_writes(_ops.sigmoid, lambda a: f"sigmoid({a})", lambda g, a, o: f"{g} * ({o} * (1 - {o}))",
        builtins=[("sigmoid", _ops.sigmoid.forward)])
_DOT = _ops._dot
_SUM = _ops._sum
_VARIADIC_WRITTEN = {_DOT: (_DOT.forward, _DOT.rules, _DOT.check),
                     _SUM: (_SUM.forward, _SUM.rules, _SUM.check)}


def _written(op: Op) -> tuple[Any, ...] | None:
    entry = _WRITTEN.get(op)
    if entry is None or (op.forward, op.rules, op.check) != entry[:3]:
        return None
    return entry


def _variadic_written(op: Op) -> bool:
    entry = _VARIADIC_WRITTEN.get(op)
    return entry is not None and (op.forward, op.rules, op.check) == entry


def _tuple(items: Sequence[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


# --------------------------------------------------------------------------- the program
class Program:
    """A tape compiled to one Python function of the argument floats: ``program.run(args)``
    gives ``(value, aux values, grads)`` (``grads=True``) or ``(value, aux values)``.

    The source is not kept (it can be large); :func:`write` gives it again.
    """

    __slots__ = ("_fn", "_code", "_line_step", "_first_backward_line", "_steps", "_ops")

    def __init__(self, tape: Any, *, grads: bool) -> None:
        # What each op was when the source was written: the interpreter reads the op table at
        # every replay, so an op changed since (a rule fixed in a notebook) means writing again.
        self._ops = op_state(tape.steps)
        source, namespace, self._line_step, self._first_backward_line = write(tape, grads=grads)
        exec(compile(source, "<tape>", "exec"), namespace)  # defines replay(), nothing else
        self._fn = namespace["replay"]
        self._code = self._fn.__code__
        self._steps = tape.steps

    def stale(self) -> bool:
        """Whether an op of the tape has been changed (its forward, rules or check) since."""
        return changed(self._ops)

    def run(self, args: Sequence[float]) -> Any:
        """Run the compiled replay; a derivative rule that fails gets the note the
        interpreter gives it (the op and the tape step), found from the line it failed on."""
        try:
            return self._fn(args)
        except (TypeError, ValueError) as exc:
            line = self._failed_line(exc)
            if line is not None and line >= self._first_backward_line:
                k = self._line_step[line]
                if k >= 0:
                    exc.add_note(f"(in the derivative rule of op {self._steps[k][0].name!r}, "
                                 f"tape step {k})")
            raise

    def _failed_line(self, exc: BaseException) -> int | None:
        """The line of the compiled function the exception went through, if any."""
        tb = exc.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code is self._code:
                line = tb.tb_lineno
            tb = tb.tb_next
        return line


def op_state(steps: Sequence[tuple[Op, tuple[int, ...], int]]) -> list[tuple[Any, ...]]:
    """What each op of ``steps`` is now: ``(op, forward, rules, check)``, once per op."""
    return [(op, op.forward, op.rules, op.check) for op in dict.fromkeys(s[0] for s in steps)]


def changed(state: list[tuple[Any, ...]]) -> bool:
    """Whether an op of an :func:`op_state` has been given another forward, rules or check."""
    for op, forward, rules, check in state:
        if op.forward is not forward or op.rules is not rules or op.check is not check:
            return True
    return False


def _constant_text(c: Any) -> str | None:
    """A float constant as source text, when its repr reads back as the same float."""
    if type(c) is not float or not math.isfinite(c):
        return None
    text = repr(c)
    if float(text) != c or math.copysign(1.0, float(text)) != math.copysign(1.0, c):
        return None
    return f"({text})" if text.startswith("-") else text


def write(tape: Any, *, grads: bool) -> tuple[str, dict[str, Any], list[int], int]:
    """The tape as Python source: ``(source, namespace, line -> step, first backward line)``.

    ``tape`` is a :class:`~autograd_core.tape.Tape`; ``grads=False`` writes the forward half
    only. Nothing in the source comes from the user: ops and constants that are no plain
    float are names bound in ``namespace``.
    """
    steps = tape.steps
    namespace: dict[str, Any] = {"__builtins__": {"sum": sum, "type": type, "float": float}}
    names: dict[int, str] = {}  # slot -> how the source reads its value
    for s, c in tape.constants.items():
        text = _constant_text(c)
        if text is None:
            text = f"c{len(namespace)}"
            namespace[text] = c
        names[s] = text
    for s in range(tape.n_inputs):
        names[s] = f"s{s}"
    is_float = {s for s, c in tape.constants.items() if type(c) is float}
    is_float.update(range(tape.n_inputs))

    op_names: dict[Op, str] = {}

    def op_name(op: Op) -> str:
        name = op_names.get(op)
        if name is None:
            name = op_names[op] = f"op{len(op_names)}"
            namespace[name] = op.forward
            namespace[f"{name}_check"] = op.check
            for i, rule in enumerate(op.rules):
                namespace[f"{name}_d{i}"] = rule
        return name

    def refuse(k: int, err: Any, *inputs: Any) -> Exception:
        op = steps[k][0]
        return replay_note(refusal(op, err, inputs), op, k)

    def as_float(k: int, r: Any) -> float:
        return result_as_float(steps[k][0], r)

    namespace["refuse"] = refuse
    namespace["as_float"] = as_float
    namespace["spread"] = _spread

    lines = ["def replay(args):"]
    line_step = [-1, -1]  # line numbers count from 1
    body: list[tuple[str, int]] = []
    if tape.n_inputs:
        unpack = ", ".join(names[s] for s in range(tape.n_inputs))
        body.append((f"{unpack}{',' if tape.n_inputs == 1 else ''} = args", -1))

    # ------------------------------------------------------------------ forward
    written: list[Any] = []  # per step: the written entry, "dot"/"sum", or None (called)
    for k, (op, ins, out) in enumerate(steps):
        xs = [names[i] for i in ins]
        o = names[out] = f"s{out}"
        plain = all(i in is_float for i in ins)
        entry = _written(op) if plain else None
        if entry is not None:
            for bname, fn in entry[5]:
                namespace[bname] = fn
            body.append((f"{o} = {entry[3](*xs)}", k))
            written.append(entry)
        elif plain and op.kind == VARIADIC and _variadic_written(op):
            if op is _DOT:
                n = len(xs) // 2
                products = [f"{w} * {x}" for w, x in zip(xs[:n], xs[n : 2 * n], strict=True)]
                start = xs[2 * n] if len(xs) % 2 else "0.0"
                body.append((f"{o} = sum({_tuple(products) if products else '()'}, {start})", k))
                written.append("dot")
            else:
                body.append((f"{o} = sum({_tuple(xs)})", k))
                written.append("sum")
        else:
            name = op_name(op)
            listed = ", ".join(xs)
            if op.check is not None:
                body.append((f"err = {name}_check({listed})", k))
                body.append((f"if err is not None: raise refuse({k}, err, {listed})", k))
            body.append((f"{o} = {name}([{listed}])" if op.kind == VARIADIC else
                         f"{o} = {name}({listed})", k))
            body.append((f"if type({o}) is not float: {o} = as_float({k}, {o})", k))
            written.append(None)
        is_float.add(out)
    value = names[tape.output]
    aux = f"[{', '.join(names[s] for s in tape.aux_slots)}]"

    # ------------------------------------------------------------------ backward
    # Written "pulled": each gradient is one sum, ``gI = 0.0 + gK * dK/dI + gL * dL/dI ...``
    # over the uses of slot I, in the order the interpreter adds them, written where the
    # interpreter's pass reaches I's own instruction (every use of I is later in the tape, so
    # each gK it reads is complete by then). The same additions on the same numbers as the
    # interpreter's ``grads[i] += g * d``; a rule that is called runs where the interpreter
    # calls it, into a temporary ``dK_J = gK * rule(...)``.
    first_backward = len(lines) + len(body) + 1
    if grads:
        constant = set(tape.constants)
        terms: dict[int, list[tuple[str, str]]] = {}  # slot -> its contributions, (sign, term)

        def add_to(slot: int, term: str, sign: str = "+") -> None:
            if slot not in constant:  # a constant's gradient goes nowhere
                terms.setdefault(slot, []).append((sign, term))

        def gradient(slot: int, k: int) -> None:
            """The line(s) ``g<slot> = 0.0 + ...``, the sum of its contributions."""
            pending = terms.pop(slot, [])
            start = "0.0"
            for at in range(0, len(pending), _TERMS_PER_LINE):
                chunk = pending[at : at + _TERMS_PER_LINE]
                body.append((f"g{slot} = {start} {' '.join(f'{a} {b}' for a, b in chunk)}", k))
                start = f"g{slot}"
            if not pending:
                body.append((f"g{slot} = 0.0", k))

        for k in range(len(steps) - 1, -1, -1):
            op, ins, out = steps[k]
            g = f"g{out}"
            if out == tape.output:
                body.append((f"{g} = 1.0", k))
            else:
                gradient(out, k)
            xs = [names[i] for i in ins]
            o = names[out]
            how = written[k]
            if isinstance(how, tuple):
                for i, contribution in zip(ins, how[4], strict=True):
                    term = contribution(g, *xs, o)
                    if term == "-":
                        add_to(i, g, "-")
                    else:
                        add_to(i, term or g)
            elif how == "dot":
                n = len(ins) // 2
                for w, x in zip(ins[:n], xs[n : 2 * n], strict=True):
                    add_to(w, f"{g} * {x}")
                for x, w in zip(ins[n : 2 * n], xs[:n], strict=True):
                    add_to(x, f"{g} * {w}")
                if len(ins) % 2:
                    add_to(ins[-1], g)
            elif how == "sum":
                for i in ins:
                    add_to(i, g)
            else:
                name = op_names[op]
                if op.kind == LINEAR_UNARY or op.kind == LINEAR_BINARY:
                    for j, (i, r) in enumerate(zip(ins, op.rules, strict=True)):
                        if r == 1.0 or r == -1.0:
                            add_to(i, g, "+" if r == 1.0 else "-")
                        else:
                            add_to(i, f"{g} * {_constant_text(r) or f'{name}_d{j}'}")
                # A called rule runs, and its derivative is multiplied by g, on a line of
                # step k, even for a constant input: what may fail, fails at this step.
                elif op.kind == VARIADIC:
                    local = f"{name}_d0([{', '.join(xs)}], {o})"
                    body.append((f"d{k} = spread({g}, {local}, {len(xs)})", k))
                    for j, i in enumerate(ins):
                        add_to(i, f"d{k}[{j}]")
                else:
                    for j, i in enumerate(ins):
                        body.append((f"d{k}_{j} = {g} * {name}_d{j}({', '.join(xs)}, {o})", k))
                        add_to(i, f"d{k}_{j}")
        if tape.output < tape.n_inputs:  # the value is an argument (there are no steps)
            body.append((f"g{tape.output} = 1.0", -1))
        reached = [s in terms or s == tape.output for s in range(tape.n_inputs)]
        for s in range(tape.n_inputs):
            if s in terms:
                gradient(s, -1)
        grad_list = ", ".join(f"g{s}" if r else "0.0" for s, r in enumerate(reached))
        body.append((f"return {value}, {aux}, [{grad_list}]", -1))
    else:
        body.append((f"return {value}, {aux}", -1))
    for text, k in body:
        lines.append("    " + text)
        line_step.append(k)
    return "\n".join(lines) + "\n", namespace, line_step, first_backward


def _spread(g: Any, local: Any, n: int) -> tuple[Any, ...]:
    """``g`` times each of a variadic rule's ``n`` derivatives; a ValueError for another
    number of them, as the interpreter's ``zip(..., strict=True)`` gives."""
    return tuple(g * d for _, d in zip(range(n), local, strict=True))


def count_terms(steps: Sequence[tuple[Op, tuple[int, ...], int]]) -> int:
    """The size of a tape's source, in inputs of its instructions (see ``MAX_TERMS``)."""
    return sum(len(ins) for _, ins, _ in steps)


def compile_tape(tape: Any, *, grads: bool) -> Program | None:
    """The tape's float replay compiled (:class:`Program`), or None when it has more than
    ``MAX_TERMS`` inputs in all (the interpreter replays it)."""
    if count_terms(tape.steps) > MAX_TERMS:
        return None
    return Program(tape, grads=grads)

"""``fit(compile=True)``: the per-example loss traced once, minibatches replayed as lanes.

The interpreted ``fit`` builds a graph of Values for every example of every step. Here the
loss of one example, ``loss_fn([model(x)], [t])``, is traced once (:func:`autograd_core.trace`)
with the inputs ``x``, the target ``t`` and the model's parameters as the tape's arguments. A
minibatch of B examples is then one replay on B lanes (:mod:`autograd_core.lanes`): the
inputs and targets as arrays, the parameters as numbers shared by every lane. The replay gives
each example's loss and outputs and the gradient of their sum; divided by B that is the mean
loss and its gradient, the numbers ``backward()`` gives on the batch's graph (to rounding).

What can be compiled: a model and a loss that compute with ops only (no ``if`` on a Value,
no ``float()`` of one), and a loss that is a mean over the examples of the batch, which all
of ``nn.losses`` are. A target is given to the loss as Values (an int class label for
cross-entropy as a one-hot row, also when the loss is a function of one's own that reads the
label as a number), so that it can differ between lanes; a plain number among the model's
outputs is a constant. A Value the model or the loss keeps between calls besides the
parameters (a temperature given to the optimizer, a constant in a private attribute) is an
argument too, read at every step; one computed before training from a parameter is refused
(the interpreter keeps its number, a tape would compute it again).

Before training, the first batch and a few batches of examples from across the data (spread
evenly, and each target's smallest and largest) are computed both ways and must agree to
1e-9 (NaN agreeing with NaN). That catches what the tracer cannot see, a branch on ``x.data``
in the model or the loss, even on sorted data whose first batch takes one path (though not a
branch no checked example takes). They run again with the parameters moved (20% and 60%),
which catches a number taken from a parameter outside the graph (``no_grad``,
``Value(p.data)``, a branch on ``p.data``). Anything else is a ``ValueError`` (a
``TypeError`` for a model output that is no number) saying to train with ``compile=False``,
before any parameter changes. During training, steps 1, 2, 4, 8, ... check two examples of
their batch again: a branch that training reaches later stops it with that ``ValueError``
(not a silently different model; a branch crossed and left between two checks can escape).
"""

from __future__ import annotations

import math
import operator
import random
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import (
    DomainError,
    TracerWarning,
    Value,
    enable_grad,
    no_grad,
    sum_of,
    trace,
)
from autograd_core.lanes import numpy_or_error, plan_for

from . import losses as _losses

AGREEMENT = 1e-9
NOT_A_MEAN = ("the model or the loss is not a mean over examples of ops on Values (a branch on "
              "x.data, a loss reading numbers from its targets, a sum instead of a mean, say)")


class Disagreement(ValueError):
    """The tape and the interpreter gave different numbers on the same batch."""


class CompiledLoss:
    """A model's per-example loss as a tape, run on minibatches of ``rows`` as lanes."""

    def __init__(self, model: Any, loss_fn: Callable[..., Any], rows: list[list[float]],
                 targets: list[Any]) -> None:
        try:
            np = numpy_or_error()
        except ImportError as exc:
            raise ImportError(f"fit(compile=True): {exc}; or train with compile=False") from None
        self.model = model
        self.loss_fn = loss_fn
        self.params = list(model.parameters())
        self.targets = targets
        nin = len(rows[0])
        with no_grad():
            example_out = model([Value(v) for v in rows[0]])
        self.single = not isinstance(example_out, (list, tuple))
        for o in [example_out] if self.single else example_out:
            if not _is_number(o):
                raise TypeError(
                    f"compile=True: the model returned {type(o).__name__} {o!r:.40} as an "
                    "output, not a Value (or a list of Values); a tape replays Values only. "
                    "Train with compile=False, or make the model return Values"
                )
        self.nout = 1 if self.single else len(example_out)
        self.nin = nin
        self.extra: list[Value] = []
        self._traced_loss: Value | None = None
        self._encoded: dict[bool, list[list[float]]] = {}
        self._steps = 0  # training steps run (batch with grads), for the checks on the way
        self.columns = np.array(rows, dtype=np.float64).T.copy()
        # An int class label for cross-entropy goes in as a one-hot row (a label read as a
        # number would be the first example's class for every lane). A loss of one's own on
        # several outputs gets the label as one Value first, and the row if it does not use it.
        self.one_hot = _base(loss_fn) is _losses.cross_entropy
        self._trace(rows)
        if (not self.one_hot and self.nout > 1 and not self._uses_targets()
                and _class_labels(targets, self.nout)):
            first = self.tape, self.width, self.nested, self.target_columns
            self.one_hot = True
            try:
                self._trace(rows)
            except Exception:  # the loss takes no rows: the first tape, checked before use
                self.one_hot = False
                self.tape, self.width, self.nested, self.target_columns = first
        # Values the model or the loss keep from call to call besides the parameters (a
        # learnable temperature an optimizer was given, a constant kept in an attribute) are
        # arguments too, read at every step as the interpreter reads them; their gradients
        # add up in their .grad as backward() adds them.
        self.extra = self._kept_values(rows)
        if self.extra:
            self._trace(rows)
        self._traced_loss = None
        self._encoded.clear()
        lane_args = (True,) * (nin + self.width) + (False,) * (len(self.params) + len(self.extra))
        self.plan = plan_for(self.tape, lane_args)
        self._validation: tuple[Any, ...] | None = None

    def _trace(self, rows: list[list[float]]) -> None:
        np = numpy_or_error()
        encoded = self._encoded.get(self.one_hot)
        if encoded is None:  # the loss checks every target: once per form, not per trace
            encoded = self._encoded[self.one_hot] = self.encode(self.targets, "y")
        self.width = len(encoded[0])
        self.nested = not _is_number(self.targets[0]) or self.one_hot
        model, loss_fn, nin = self.model, self.loss_fn, self.nin
        aux_on_path = [True]

        def example_loss(*args: Value) -> tuple[Value, list[Value]]:
            out = _as_values(model(list(args[:nin])))
            t = list(args[nin:]) if self.nested else args[nin]
            loss = loss_fn([out], [t])
            if not isinstance(loss, Value):
                raise TypeError(
                    f"the loss function must return a Value, got {type(loss).__name__}")
            outs = [out] if isinstance(out, Value) else list(out)
            if not aux_on_path[0]:
                # The loss does not compute from the outputs the metrics read (a softmax's
                # probabilities, when the loss takes their logits): 0 * their sum puts them
                # on the tape, adding exactly 0 to the loss and to every gradient.
                loss = loss + sum_of(outs) * 0.0
            self._traced_loss = loss
            return loss, outs

        def traced() -> Any:
            return trace(example_loss, *rows[0], *encoded[0],
                         params=self.params + self.extra, has_aux=True)

        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", TracerWarning)
            try:
                try:
                    self.tape = traced()
                except ValueError as exc:
                    if "not on the way" not in str(exc):
                        raise
                    aux_on_path[0] = False
                    self.tape = traced()
            except (TypeError, ValueError) as exc:
                if "compile=" in str(exc):
                    raise
                raise type(exc)(
                    f"compile=True: tracing the per-example loss failed: {exc}. Train with "
                    "compile=False"
                ) from exc
        looked = [w for w in seen if issubclass(w.category, TracerWarning)]
        if looked:
            raise ValueError(
                "compile=True: the model or the loss looks at a number while computing "
                f"({looked[0].message}); a tape would replay one path for every example. "
                "Train with compile=False, or write the choice with an op (relu, abs, ...)"
            )
        for w in seen:  # anything else is the caller's to see
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.target_columns = np.array(encoded, dtype=np.float64).T.copy()

    def _kept_values(self, rows: list[list[float]]) -> list[Value]:
        """The Values besides the parameters that the traced loss and a second interpreted
        one on the same example both use: kept by the model or the loss between calls."""
        traced = _nodes(self._traced_loss)
        with enable_grad():
            out = self.model([Value(v) for v in rows[0]])
            again = self.loss_fn([out], [self.targets[0]])
        if not isinstance(again, Value):
            return []
        seen = {id(n) for n in _nodes(again)}
        params = {id(p) for p in self.params}
        kept = [n for n in traced if id(n) in seen and id(n) not in params]
        computed = [n for n in kept if n._op is not None]
        if computed:
            raise ValueError(
                f"compile=True: the model or the loss uses a Value computed before training "
                f"({computed[0]!r:.60}), whose number the interpreter keeps while its "
                "parameters change (a tape would compute it again from them). Compute it "
                "inside the model's __call__, or train with compile=False"
            )
        return kept

    def _uses_targets(self) -> bool:
        """Whether the tape reads the target arguments (else the loss read their numbers)."""
        read = {i for _, ins, _ in self.tape.steps for i in ins}
        read.add(self.tape.output)
        return any(s in read for s in range(self.nin, self.nin + self.width))

    # ------------------------------------------------------------------ targets
    def encode(self, targets: Sequence[Any], what: str) -> list[list[float]]:
        """Each target as a row of floats (an int class label as a one-hot row for
        cross-entropy), checked by the loss itself first."""
        with no_grad():  # the loss's own checks, with its own messages, on every target
            dummy = [Value(0.0) if self.single else [Value(0.0)] * self.nout for _ in targets]
            self.loss_fn(dummy, list(targets))
        rows = []
        for i, t in enumerate(targets):
            if _is_number(t):
                if self.one_hot:
                    hot = [0.0] * self.nout
                    hot[operator.index(int(_as_float(t)))] = 1.0
                    rows.append(hot)
                else:
                    rows.append([_as_float(t)])
            else:
                rows.append([_as_float(v) for v in t])
            if len(rows[-1]) != len(rows[0]):
                raise ValueError(
                    f"compile=True: {what}[{i}] has {len(rows[-1])} values, {what}[0] has "
                    f"{len(rows[0])}; every target must have the same shape"
                )
        return rows

    # ------------------------------------------------------------------ replay
    def batch(self, idx: Sequence[int], *, grads: bool = True) -> tuple[float, list[Any]]:
        """The mean loss over the examples ``idx`` and their outputs (floats, or lists of
        floats); with ``grads``, each parameter's ``grad`` is set to the mean's gradient.
        An error in the replay says which example each lane is.

        At the 1st, 2nd, 4th, 8th... training step, two of the batch's examples are first
        computed both ways again (a few interpreted examples in all): a tape that stops
        agreeing once training has moved the parameters (past a branch on ``p.data`` no check
        before training took) is a ValueError then, not a silently different model."""
        if grads:
            self._steps += 1
            if self._steps & (self._steps - 1) == 0:
                self._check_batch(list(idx[:2]), f" after {self._steps - 1} training step(s)", (
                    "the model or the loss takes a number from outside the graph (a branch on "
                    "p.data or x.data, say) that the checks before training did not reach; the "
                    "parameters are as those steps left them"))
        return self._batch(idx, grads)

    def _batch(self, idx: Sequence[int], grads: bool = True) -> tuple[float, list[Any]]:
        try:
            return self._run(self.columns[:, idx], self.target_columns[:, idx], grads)
        except Exception as exc:
            shown = ", ".join(map(str, list(idx[:10]))) + (", ..." if len(idx) > 10 else "")
            hint = "" if isinstance(exc, DomainError) else (
                "; compile=False trains on the interpreter instead")
            exc.add_note(f"(fit(compile=True): lanes 0..{len(idx) - 1} are the examples "
                         f"[{shown}] of X{hint})")
            raise

    def on(self, rows: list[list[float]], targets: list[Any]) -> tuple[float, list[Any]]:
        """Mean loss and outputs on other data (validation), recording nothing. The data are
        checked and made arrays once (the same lists again, as fit gives every epoch, reuse
        them)."""
        np = numpy_or_error()
        cached = self._validation
        if cached is None or cached[0] is not rows or cached[1] is not targets:
            x = np.array(rows, dtype=np.float64).T
            t = np.array(self.encode(targets, "y_val"), dtype=np.float64).T
            if t.shape[0] != self.width:
                raise ValueError(
                    f"compile=True: y_val's targets have {t.shape[0]} value(s) each, y's have "
                    f"{self.width}; give validation targets of the training targets' form"
                )
            self._validation = cached = (rows, targets, x, t)
        return self._run(cached[2], cached[3], False)

    def _run(self, x: Any, t: Any, grads: bool) -> tuple[float, list[Any]]:
        np = numpy_or_error()
        b = x.shape[1]
        args = [*x, *t, *(p.data for p in self.params), *(e.data for e in self.extra)]
        value, grad_list, aux = self.plan.run(args, b, grads=grads)
        scale = 1.0 / b
        loss = sum(value.tolist()) * scale  # left to right, as sum_of: inf and NaN pass
        if grads:
            first = len(x) + len(t)
            for p, g in zip(self.params, grad_list[first:], strict=False):
                p.grad = g * scale
            for e, g in zip(self.extra, grad_list[first + len(self.params):], strict=True):
                e.grad += g * scale
        outs = np.stack(aux, axis=1).tolist()  # one row of outputs per example
        return loss, [o[0] for o in outs] if self.single else outs

    # ------------------------------------------------------------------ agreement
    def check_against_interpreter(self, idx: Sequence[int]) -> None:
        """The tape's mean loss and gradient equal the interpreter's to 1e-9 on the batch
        ``idx`` and on batches as large of examples from across the data (spread evenly, and
        the smallest and largest target of each kind), or a ValueError saying what differed.

        A model or loss that reads a Value's number (``.data``) is not seen by the tracer;
        such a tape is right only for examples that take the path the first one took, which
        a first batch of sorted data may all do. NaN and infinities agree with themselves."""
        idx = list(idx)
        batches = [idx, *_chunks(self._spread(), len(idx))]
        for batch in batches:
            self._check_batch(batch, "", NOT_A_MEAN)
        # Again with every parameter moved a little: a number the model takes from one outside
        # the graph (under no_grad, Value(p.data), a branch on p.data) is frozen in the tape
        # and agrees only at the parameters it was traced at.
        kept = self.params + self.extra
        saved = [p.data for p in kept]
        rng = random.Random(0)
        try:
            for spread in (0.2, 0.6):
                for p, d in zip(kept, saved, strict=True):
                    p.data = d * (1.0 + spread * rng.uniform(-1, 1)) + 0.1 * spread * (
                        rng.uniform(-1, 1))
                for batch in batches:
                    self._check_batch(batch, " with the parameters moved a little", (
                        "the model or the loss takes a number from a parameter outside the "
                        "graph (no_grad, Value(p.data), a branch on p.data), which a tape "
                        "keeps at its first number"))
        except Disagreement:
            raise
        except Exception:  # outside the model's domain there (log(-1), ...): not compared
            return
        finally:
            for p, d in zip(kept, saved, strict=True):
                p.data = d
            for p in self.params:
                p.grad = 0.0

    def _spread(self) -> list[int]:
        np = numpy_or_error()
        n = self.columns.shape[1]
        picks = [round(k * (n - 1) / 7) for k in range(8)]
        for column in self.target_columns[:4]:
            finite = np.isfinite(column)
            if finite.any():
                column = np.where(finite, column, np.nan)
                picks += [int(np.nanargmin(column)), int(np.nanargmax(column))]
        return list(dict.fromkeys(picks))

    def _check_batch(self, idx: list[int], when: str, why: str) -> None:
        """The tape against the interpreter on the batch ``idx``; a :class:`Disagreement`
        saying ``when`` it was and ``why`` it may be, if they differ."""
        kept = [e.grad for e in self.extra]  # restored after: the check trains nothing
        got, _ = self._batch(idx)  # first: its errors say which example each lane is
        got_grads = [p.grad for p in self.params] + [
            e.grad - k for e, k in zip(self.extra, kept, strict=True)]
        for e, k in zip(self.extra, kept, strict=True):
            e.grad = k
        preds = [self.model(list(map(Value, self.columns[:, i].tolist()))) for i in idx]
        want = self.loss_fn(preds, [self._target(i) for i in idx])
        for p in self.params:
            p.grad = 0.0
        want.backward()
        want_grads = [p.grad for p in self.params] + [
            e.grad - k for e, k in zip(self.extra, kept, strict=True)]
        for p in self.params:
            p.grad = 0.0
        for e, k in zip(self.extra, kept, strict=True):
            e.grad = k
        pairs = [(got, want.data), *zip(got_grads, want_grads, strict=True)]
        scale = max([abs(b) for _, b in pairs if math.isfinite(b)] + [1e-300])
        worst = max([_difference(a, b) for a, b in pairs])
        if not worst <= AGREEMENT * scale:
            raise Disagreement(
                f"compile=True: the traced loss disagrees with the interpreted one on a batch "
                f"of examples {idx[:8]}{when} (loss {got!r} vs {want.data!r}, largest "
                f"difference {worst:.3g}): {why}. Train with compile=False"
            )

    def _target(self, i: int) -> Any:
        return self.targets[i]


def _base(loss_fn: Any) -> Any:
    return getattr(loss_fn, "fn", loss_fn)


def _is_number(t: Any) -> bool:
    return isinstance(t, (int, float, Value)) or (hasattr(t, "__float__") and (
        not hasattr(t, "__len__") or getattr(t, "ndim", None) == 0))


def _nodes(root: Value | None) -> list[Value]:
    """Every node of ``root``'s graph, once each, in a fixed order (depth first)."""
    if root is None:
        return []
    order, seen, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return order


def _class_labels(targets: Sequence[Any], k: int) -> bool:
    """Whether every target is a number that can be a class label in 0..k-1."""
    for t in targets:
        if not _is_number(t) or isinstance(t, bool):
            return False
        f = _as_float(t)
        if not (f.is_integer() and 0 <= f < k):
            return False
    return True


def _as_values(out: Any) -> Any:
    """The model's output with any plain number in it as a constant Value (the interpreter's
    losses take numbers as constants too); Values, and a list of them, as they are."""
    if isinstance(out, Value):
        return out
    if not isinstance(out, (list, tuple)):
        return Value(_as_float(out))
    if all(isinstance(o, Value) for o in out):
        return out  # as it is: a softmax's probabilities keep their .logits
    return [o if isinstance(o, Value) else Value(_as_float(o)) for o in out]


def _difference(a: float, b: float) -> float:
    """|a - b|, 0 for the same infinity or NaN against NaN."""
    if a == b or (a != a and b != b):
        return 0.0
    return abs(a - b) if math.isfinite(a - b) else math.inf


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _as_float(v: Any) -> float:
    return float(v.data if isinstance(v, Value) else v)

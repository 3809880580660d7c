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
cross-entropy as a one-hot row), so that it can differ between lanes. Before training, one
small batch is computed both ways and must agree to 1e-9; anything else is a ``ValueError``
saying to train with ``compile=False``.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import TracerWarning, Value, no_grad, trace
from autograd_core.lanes import numpy_or_error, plan_for

from . import losses as _losses

AGREEMENT = 1e-9


class CompiledLoss:
    """A model's per-example loss as a tape, run on minibatches of ``rows`` as lanes."""

    def __init__(self, model: Any, loss_fn: Callable[..., Any], rows: list[list[float]],
                 targets: list[Any]) -> None:
        np = numpy_or_error()
        self.model = model
        self.loss_fn = loss_fn
        self.params = list(model.parameters())
        self.targets = targets
        nin = len(rows[0])
        with no_grad():
            example_out = model([Value(v) for v in rows[0]])
        self.single = isinstance(example_out, Value)
        self.nout = 1 if self.single else len(example_out)
        self.one_hot = _base(loss_fn) is _losses.cross_entropy
        encoded = self.encode(targets, "y")
        self.width = len(encoded[0])
        self.nested = not _is_number(targets[0]) or self.one_hot
        self.nin = nin

        def example_loss(*args: Value) -> tuple[Value, list[Value]]:
            out = model(list(args[:nin]))
            t = list(args[nin:]) if self.nested else args[nin]
            loss = loss_fn([out], [t])
            if not isinstance(loss, Value):
                raise TypeError(
                    f"the loss function must return a Value, got {type(loss).__name__}")
            return loss, [out] if isinstance(out, Value) else list(out)

        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", TracerWarning)
            self.tape = trace(example_loss, *rows[0], *encoded[0], params=self.params,
                              has_aux=True)
        looked = [w for w in seen if issubclass(w.category, TracerWarning)]
        if looked:
            raise ValueError(
                "compile=True: the model or the loss looks at a number while computing "
                f"({looked[0].message}); a tape would replay one path for every example. "
                "Train with compile=False, or write the choice with an op (relu, abs, ...)"
            )
        for w in seen:  # anything else is the caller's to see
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.columns = np.array(rows, dtype=np.float64).T.copy()
        self.target_columns = np.array(encoded, dtype=np.float64).T.copy()
        lane_args = (True,) * (nin + self.width) + (False,) * len(self.params)
        self.plan = plan_for(self.tape, lane_args)

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
        floats); with ``grads``, each parameter's ``grad`` is set to the mean's gradient."""
        return self._run(self.columns[:, idx], self.target_columns[:, idx], grads)

    def on(self, rows: list[list[float]], targets: list[Any]) -> tuple[float, list[Any]]:
        """Mean loss and outputs on other data (validation), recording nothing."""
        np = numpy_or_error()
        x = np.array(rows, dtype=np.float64).T
        t = np.array(self.encode(targets, "y_val"), dtype=np.float64).T
        return self._run(x, t, False)

    def _run(self, x: Any, t: Any, grads: bool) -> tuple[float, list[Any]]:
        np = numpy_or_error()
        b = x.shape[1]
        args = [*x, *t, *(p.data for p in self.params)]
        value, grad_list, aux = self.plan.run(args, b, grads=grads)
        scale = 1.0 / b
        loss = math.fsum(value.tolist()) * scale
        if grads:
            for p, g in zip(self.params, grad_list[-len(self.params):], strict=True):
                p.grad = g * scale
        outs = np.stack(aux, axis=1).tolist()  # one row of outputs per example
        return loss, [o[0] for o in outs] if self.single else outs

    # ------------------------------------------------------------------ agreement
    def check_against_interpreter(self, idx: Sequence[int]) -> None:
        """The tape's mean loss and gradient on ``idx`` equal the interpreter's to 1e-9, or a
        ValueError that says what differed."""
        preds = [self.model(list(map(Value, self.columns[:, i].tolist()))) for i in idx]
        want = self.loss_fn(preds, [self._target(i) for i in idx])
        for p in self.params:
            p.grad = 0.0
        want.backward()
        want_grads = [p.grad for p in self.params]
        got, _ = self.batch(idx)
        got_grads = [p.grad for p in self.params]
        for p in self.params:
            p.grad = 0.0
        scale = max([abs(want.data)] + [abs(g) for g in want_grads] + [1e-300])
        worst = max([abs(got - want.data)] + [abs(a - b) for a, b in
                                              zip(got_grads, want_grads, strict=True)])
        if not worst <= AGREEMENT * scale:
            raise ValueError(
                f"compile=True: the traced loss disagrees with the interpreted one on a first "
                f"batch (loss {got!r} vs {want.data!r}, largest difference {worst:.3g}): the "
                "model or the loss is not a mean over examples of ops on Values (a loss "
                "reading numbers from its targets, say). Train with compile=False"
            )

    def _target(self, i: int) -> Any:
        return self.targets[i]


def _base(loss_fn: Any) -> Any:
    return getattr(loss_fn, "fn", loss_fn)


def _is_number(t: Any) -> bool:
    return isinstance(t, (int, float, Value)) or (
        hasattr(t, "__float__") and not hasattr(t, "__len__"))


def _as_float(v: Any) -> float:
    return float(v.data if isinstance(v, Value) else v)

"""Loss functions on a batch of model outputs: ``mse``, ``binary_cross_entropy``,
``cross_entropy``, ``hinge``, plus the ``l2`` penalty.

Each loss takes ``predictions`` (one model output per sample: a Value for a one-output model,
a list of Values otherwise) and ``targets`` (one per sample), and returns one ``Value``:
the mean over the batch by default, ``reduction="sum"`` for the sum, ``reduction="none"`` for
the list of per-sample losses. The reduced result is labelled ``loss`` (``l2``'s penalty
``l2``), so drawings and step-by-step text call it by that name.

>>> from autograd_core import Value
>>> from nn.losses import hinge, cross_entropy
>>> loss = hinge([Value(2.0), Value(-0.5)], [1, 1])   # mean of max(0, 1 - y*s)
>>> loss.data, loss.label
(0.75, 'loss')
>>> round(cross_entropy([[Value(0.0), Value(0.0)]], [1]).data, 6)  # log 2
0.693147

The numerically delicate pieces are single engine ops with their own derivatives:
``softplus(z) = log(1 + e**z)`` for binary cross-entropy on logits (stable for any logit) and
``logsumexp(z1, ..., zk)`` for softmax cross-entropy (shifted by the largest logit).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import Value, primitive, registered_ops, sum_of
from autograd_core import ops as _ops

Reduction = str


# --------------------------------------------------------------------------- stable ops
def _logsumexp_forward(zs: list[float]) -> float:
    m = max(zs)
    if math.isinf(m) or m != m:
        return m
    return m + math.log(sum(math.exp(z - m) for z in zs))


def _array_logsumexp(zs: list[Any]) -> Any:
    # the float version on arrays (lane replay): shifted by the largest z in each lane
    import numpy as np

    z = np.stack(np.broadcast_arrays(*zs))
    m = z.max(axis=0)
    ok = np.isfinite(m)
    shift = np.where(ok, m, 0.0)
    return np.where(ok, shift + np.log(np.exp(z - shift).sum(axis=0)), m)


def _array_softmax_rule(zs: list[Any], out: Any) -> list[Any]:
    import numpy as np

    return [np.exp(z - out) for z in zs]


def _softmax_rule(zs: list[Any], out: Any) -> list[Any]:
    if type(out) is float:
        return [math.exp(z - out) for z in zs]
    return [(z - out).exp() for z in zs]


def _get_or_make(name: str, make: Callable[[], Any]) -> Any:
    existing = registered_ops().get(name)
    return existing if existing is not None else make()


softplus = _ops.softplus  # log(1 + e**z), in the engine's op table
logsumexp = _get_or_make(
    "logsumexp",
    lambda: primitive(
        "logsumexp", _logsumexp_forward, _softmax_rule, variadic=True,
        doc="log(e**z1 + ... + e**zk), shifted by the largest z (softmax's normaliser).",
        formulas=lambda names, out: [f"exp({n} - {out})" for n in names],
        array={"forward": _array_logsumexp, "rules": (_array_softmax_rule,)},
    ),
)


# --------------------------------------------------------------------------- helpers
def _value(p: Any, what: str) -> Value:
    if type(p) is Value:
        return p
    if isinstance(p, Value):
        return p
    return Value(_number(p, what))


def _number(x: Any, what: str) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (bool, str, bytes)) or x is None:
        raise TypeError(f"{what} must be a number, got {type(x).__name__} {x!r:.40}")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}") from None


def _target(t: Any, what: str) -> Any:
    """A target as a number, or as the Value it is: a Value target stays in the graph (so
    ``fit(compile=True)`` can trace a loss whose targets differ between examples)."""
    return t if isinstance(t, Value) else _number(t, what)


def _pairs(predictions: Any, targets: Any, name: str) -> list[tuple[Any, Any]]:
    if isinstance(predictions, Value) or not _is_sequence(predictions):
        raise TypeError(
            f"{name} takes a batch: a list of predictions (one per sample), got "
            f"{type(predictions).__name__}; wrap one prediction as [prediction]"
        )
    if not _is_sequence(targets):
        raise TypeError(
            f"{name} takes a list of targets (one per sample), got {type(targets).__name__}"
        )
    if len(predictions) != len(targets):
        raise ValueError(
            f"{name}: {len(predictions)} predictions but {len(targets)} targets; "
            "give one target per prediction"
        )
    if len(predictions) == 0:
        raise ValueError(f"{name}: the batch is empty")
    return list(zip(predictions, targets, strict=True))


def _is_sequence(x: Any) -> bool:
    return (not isinstance(x, (str, bytes)) and hasattr(x, "__len__")
            and hasattr(x, "__getitem__") and getattr(x, "ndim", 1) != 0)  # not a 0-d array


def _reduce(losses: list[Value], reduction: Reduction, count: int | None = None) -> Any:
    if reduction == "mean":
        out = sum_of(losses) * (1.0 / (count or len(losses)))
    elif reduction == "sum":
        out = sum_of(losses)
    elif reduction == "none":
        return losses
    else:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return _named_result(out, "loss")


def _named_result(out: Value, label: str) -> Value:
    """``out`` labelled ``label`` unless it already has a label of its own."""
    if not out.label:
        out.label = label
    return out


def _scalar_output(p: Any, name: str, i: int) -> Value:
    if _is_sequence(p):
        if len(p) != 1:
            raise ValueError(
                f"{name} needs one output per sample, sample {i} has {len(p)}; "
                "use cross_entropy for several classes"
            )
        p = p[0]
    return _value(p, f"{name}: prediction {i}")


def _class_label(t: Any, k: int, i: int) -> int:
    if isinstance(t, bool):
        raise ValueError(f"cross_entropy: label {i} must be an int class index, got {t!r}")
    try:
        label = operator.index(t)
    except TypeError:
        f = _number(t, f"cross_entropy: label {i}")
        if not f.is_integer():
            raise ValueError(
                f"cross_entropy: label {i} must be an int class index in 0..{k - 1}, got {t!r}"
            ) from None
        label = int(f)
    if not 0 <= label < k:
        raise ValueError(
            f"cross_entropy: label {i} is {label}, outside the {k} classes 0..{k - 1}"
        )
    return label


# --------------------------------------------------------------------------- losses
def mse(predictions: Sequence[Any], targets: Sequence[Any], reduction: Reduction = "mean") -> Any:
    """Mean squared error over every output of every sample.

    A prediction is a Value (target: a number) or a list of Values (target: a list as long).

    >>> from autograd_core import Value
    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data   # (1 + 4) / 2
    2.5
    """
    losses = []
    count = 0
    for i, (p, t) in enumerate(_pairs(predictions, targets, "mse")):
        if _is_sequence(p):
            if not _is_sequence(t) or len(t) != len(p):
                got = len(t) if _is_sequence(t) else "a number"
                raise ValueError(
                    f"mse: sample {i} has {len(p)} outputs but its target has {got}"
                )
            terms = []
            for j, (pj, tj) in enumerate(zip(p, t, strict=True)):
                d = _value(pj, f"mse: prediction {i}[{j}]") - _target(tj, f"mse: target {i}[{j}]")
                terms.append(d * d)
            count += len(terms)
            losses.append(sum_of(terms) if reduction != "none" else sum_of(terms) * (1 / len(p)))
        else:
            if _is_sequence(t):
                t = _single(t, "mse", i)
            d = _value(p, f"mse: prediction {i}") - _target(t, f"mse: target {i}")
            losses.append(d * d)
            count += 1
    return _reduce(losses, reduction, count)


def _single(t: Any, name: str, i: int) -> Any:
    if len(t) != 1:
        raise ValueError(f"{name}: sample {i} has one output but its target has {len(t)}")
    return t[0]


def binary_cross_entropy(
    logits: Sequence[Any], targets: Sequence[Any], reduction: Reduction = "mean"
) -> Any:
    """Binary cross-entropy on logits: ``log(1 + e**z) - t*z`` with ``t`` in [0, 1].

    Takes the raw score ``z`` (no sigmoid first), which keeps it exact for large ``|z|``:
    a logit of 1000 with target 0 costs 1000, not ``inf``.

    >>> from autograd_core import Value
    >>> binary_cross_entropy([Value(1000.0)], [0]).data
    1000.0
    """
    losses = []
    for i, (z, t) in enumerate(_pairs(logits, targets, "binary_cross_entropy")):
        if _is_sequence(t):
            t = _single(t, "binary_cross_entropy", i)
        z = _scalar_output(z, "binary_cross_entropy", i)
        t = _target(t, f"binary_cross_entropy: target {i}")
        number = t.data if isinstance(t, Value) else t
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"binary_cross_entropy: target {i} is {number!r}, outside [0, 1]")
        if isinstance(t, Value):  # traced: the general form, whatever the number is now
            losses.append((1.0 - t) * softplus(z) + t * softplus(-z))
            continue
        # softplus(z) - t*z, written as (1 - t) softplus(z) + t softplus(-z): both terms are
        # >= 0, so nothing cancels (softplus(40) - 40 would lose the whole answer).
        if t == 0.0:
            losses.append(softplus(z))
        elif t == 1.0:
            losses.append(softplus(-z))
        else:
            losses.append((1.0 - t) * softplus(z) + t * softplus(-z))
    return _reduce(losses, reduction)


def cross_entropy(
    logits: Sequence[Any], labels: Sequence[Any], reduction: Reduction = "mean"
) -> Any:
    """Softmax cross-entropy on logits: ``logsumexp(z) - z[label]``.

    Each prediction is a list of ``k`` logits (no softmax first). Each target is either an
    int class label in ``0..k-1`` (Keras's sparse categorical cross-entropy) or ``k``
    probabilities summing to 1, such as a one-hot row (categorical cross-entropy):
    ``sum_j t_j (logsumexp(z) - z_j)``; a one-hot row gives exactly what its label gives.
    Stable for large logits (log-sum-exp shifted by the largest one). Given the output of a
    softmax layer of :class:`nn.Sequential` (probabilities that keep their ``.logits``), it
    computes on those logits, as Keras does.

    >>> from autograd_core import Value
    >>> loss = cross_entropy([[Value(1000.0), Value(0.0)]], [0]); loss.data
    0.0
    >>> cross_entropy([[Value(1.0), Value(3.0)]], [[0.0, 1.0]]).data == (
    ...     cross_entropy([[Value(1.0), Value(3.0)]], [1]).data)
    True
    """
    losses = []
    for i, (z, t) in enumerate(_pairs(logits, labels, "cross_entropy")):
        z = getattr(z, "logits", z)  # a softmax's probabilities (nn.keras): their logits
        if not _is_sequence(z) or len(z) < 2:
            raise ValueError(
                f"cross_entropy: sample {i} needs a list of at least 2 logits (one per class), "
                f"got {z!r:.60}; for one output use binary_cross_entropy or hinge"
            )
        zs = [_value(v, f"cross_entropy: logit {i}") for v in z]
        if not _is_sequence(t):
            losses.append(logsumexp(zs) - zs[_class_label(t, len(zs), i)])
            continue
        if any(isinstance(p, Value) for p in t):  # traced targets: every term kept
            _distribution(t, len(zs), i)
            losses.append(logsumexp(zs) - sum_of([z * p for z, p in zip(zs, t, strict=True)]))
            continue
        probabilities = _distribution(t, len(zs), i)
        hot = [j for j, p in enumerate(probabilities) if p != 0.0]
        if len(hot) == 1 and probabilities[hot[0]] == 1.0:  # one-hot: as its label
            losses.append(logsumexp(zs) - zs[hot[0]])
        else:
            losses.append(logsumexp(zs) - sum_of([zs[j] * probabilities[j] for j in hot]))
    return _reduce(losses, reduction)


def _distribution(t: Any, k: int, i: int) -> list[float]:
    """Target ``i`` as ``k`` probabilities (each in [0, 1], summing to 1 within 1e-6)."""
    if len(t) != k:
        raise ValueError(
            f"cross_entropy: target {i} has {len(t)} entries for {k} classes; give the class "
            f"label as an int in 0..{k - 1}, or one probability per class (a one-hot row)"
        )
    probabilities = [_number(p, f"cross_entropy: target {i}[{j}]") for j, p in enumerate(t)]
    for j, p in enumerate(probabilities):
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"cross_entropy: target {i}[{j}] is {p!r}; probabilities must be in [0, 1]"
            )
    total = math.fsum(probabilities)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"cross_entropy: target {i} sums to {total!r}, not 1; give a one-hot row or "
            "probabilities that sum to 1"
        )
    return probabilities


def hinge(scores: Sequence[Any], targets: Sequence[Any], reduction: Reduction = "mean") -> Any:
    """micrograd's max-margin loss ``relu(1 - y * score)`` for labels ``y`` in {-1, +1}.

    >>> from autograd_core import Value
    >>> hinge([Value(0.25)], [-1]).data
    1.25
    """
    losses = []
    for i, (s, y) in enumerate(_pairs(scores, targets, "hinge")):
        if _is_sequence(y):
            y = _single(y, "hinge", i)
        s = _scalar_output(s, "hinge", i)
        y = _target(y, f"hinge: target {i}")
        number = y.data if isinstance(y, Value) else y
        if number not in (-1.0, 1.0):
            raise ValueError(
                f"hinge: target {i} is {number!r}; labels must be -1 or +1 (for 0/1 labels use "
                "2*y - 1)"
            )
        losses.append((1.0 + (-y) * s).relu())
    return _reduce(losses, reduction)


def l2(parameters: Sequence[Value], alpha: float) -> Value:
    """``alpha * sum(p*p)``: the L2 penalty micrograd's demo adds to its loss.

    >>> from autograd_core import Value
    >>> l2([Value(1.0), Value(2.0)], 0.5).data
    2.5
    """
    alpha = _number(alpha, "alpha")
    if not alpha >= 0 or math.isinf(alpha):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    params = list(parameters)
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return _named_result(sum_of([p * p for p in params]) * alpha, "l2")


LOSSES: dict[str, Callable[..., Any]] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def get_loss(loss: str | Callable[..., Any]) -> Callable[..., Any]:
    """A loss by name (``"mse"``, ``"binary_cross_entropy"``/``"bce"``, ``"cross_entropy"``,
    ``"hinge"``) or the callable itself."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))}")


__all__ = [
    "LOSSES",
    "binary_cross_entropy",
    "cross_entropy",
    "get_loss",
    "hinge",
    "l2",
    "logsumexp",
    "mse",
    "softplus",
]

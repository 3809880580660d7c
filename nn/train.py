"""Training loop: ``fit``, ``evaluate`` and ``predict``.

>>> from nn import MLP, fit, predict
>>> X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
>>> y = [-1, -1, -1, 1]                       # logical AND, labels -1/+1
>>> model = MLP(2, [4, 1], seed=1)
>>> history = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.05, epochs=60,
...               progress=False)
>>> history["accuracy"][-1]
1.0
>>> [1 if s > 0 else -1 for s in predict(model, X)]
[-1, -1, -1, 1]

Inputs ``X`` are lists of rows (lists or tuples of numbers) or 2-D NumPy arrays; targets ``y``
are numbers, class indices, or rows for several outputs. NumPy is never required.
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import Value, no_grad

from .losses import get_loss, l2
from .optim import OPTIMIZERS, Adam, Optimizer, clip_grad_norm
from .record import History, LiveView, Recorder, in_notebook, make_recorder

Metric = Callable[[list[Any], list[Any]], float]


# --------------------------------------------------------------------------- data checks
def _rows(X: Any, nin: int | None, what: str = "X") -> list[list[float]]:
    """``X`` as a list of rows of floats, each of length ``nin`` (checked once, up front)."""
    if hasattr(X, "tolist") and callable(X.tolist):  # NumPy arrays, without importing NumPy
        X = X.tolist()
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(f"{what} must be a list of rows (or a 2-D array), got {type(X).__name__}")
    rows = []
    for i, row in enumerate(X):
        if hasattr(row, "tolist") and callable(row.tolist):
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
            raise ValueError(
                f"{what}[{i}] must be a row of numbers, got {type(row).__name__}; "
                f"{what} must be 2-D (one row per sample)"
            )
        if nin is not None and len(row) != nin:
            raise ValueError(f"{what}[{i}] has {len(row)} values; the model expects {nin} inputs")
        out = []
        for j, v in enumerate(row):
            if isinstance(v, Value):
                v = v.data
            elif isinstance(v, (bool, str, bytes)) or v is None:
                raise TypeError(f"{what}[{i}][{j}] must be a number, got {type(v).__name__}")
            try:
                out.append(float(v))
            except (TypeError, ValueError):
                raise TypeError(
                    f"{what}[{i}][{j}] must be a number, got {type(v).__name__}"
                ) from None
        rows.append(out)
    if not rows:
        raise ValueError(f"{what} is empty")
    return rows


def _targets(y: Any, n: int, what: str = "y") -> list[Any]:
    if hasattr(y, "tolist") and callable(y.tolist):
        y = y.tolist()
    if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
        raise TypeError(f"{what} must be a list of targets, got {type(y).__name__}")
    y = list(y)
    if len(y) != n:
        raise ValueError(f"{what} has {len(y)} targets for {n} samples; give one per sample")
    return y


def _model_nin(model: Any) -> int | None:
    nin = getattr(model, "nin", None)
    return nin if isinstance(nin, int) else None


# --------------------------------------------------------------------------- metrics
def _plain(p: Any) -> Any:
    if isinstance(p, Value):
        return p.data
    if isinstance(p, (list, tuple)):
        return [_plain(v) for v in p]
    return p


def _label(out: Any) -> Any:
    """The class a plain output stands for: sign for one output, argmax for several."""
    if isinstance(out, (list, tuple)):
        if len(out) == 1:
            return out[0] > 0
        return max(range(len(out)), key=out.__getitem__)
    return out > 0


def accuracy(outputs: list[Any], targets: list[Any]) -> float:
    """Fraction of samples classified right.

    One output per sample: a positive score (logit) means the positive class, and a target
    counts as positive when it is > 0.5, so labels may be -1/+1 (``hinge``), 0/1
    (``binary_cross_entropy``) or probabilities. Several outputs: the argmax is the class; a
    target is an integer class label, a one-hot row or a row of probabilities (its argmax).

    >>> accuracy([0.3, -2.0, 0.1], [1, -1, -1])
    0.6666666666666666
    >>> accuracy([[0.1, 0.9], [0.8, 0.2]], [1, 1])
    0.5
    >>> accuracy([[0.1, 0.9], [0.8, 0.2]], [[0, 1], [0.3, 0.7]])
    0.5
    """
    if not outputs:
        raise ValueError("accuracy of an empty batch")
    right = 0
    if len(outputs) != len(targets):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(targets)} targets")
    for out, t in zip(outputs, targets, strict=True):
        out = _plain(out)
        t = _plain(t)
        if isinstance(t, (list, tuple)):
            t = _label(t) if len(t) > 1 else t[0] > 0.5
        elif not isinstance(out, (list, tuple)) or len(out) == 1:
            t = t > 0.5
        right += _label(out) == t
    return right / len(outputs)


def _flat(outputs: list[Any], targets: list[Any], name: str) -> list[tuple[float, float]]:
    if not outputs:
        raise ValueError(f"{name} of an empty batch")
    if len(outputs) != len(targets):
        raise ValueError(f"{name}: {len(outputs)} outputs but {len(targets)} targets")
    pairs = []
    for out, t in zip(outputs, targets, strict=True):
        out, t = _plain(out), _plain(t)
        outs = out if isinstance(out, (list, tuple)) else [out]
        ts = t if isinstance(t, (list, tuple)) else [t]
        if len(outs) != len(ts):
            raise ValueError(f"{name}: an output of {len(outs)} values for a target of {len(ts)}")
        pairs.extend(zip(map(float, outs), map(float, ts), strict=True))
    return pairs


def mae(outputs: list[Any], targets: list[Any]) -> float:
    """Mean absolute error over every output (Keras' ``'mae'`` metric).

    >>> mae([1.0, 3.0], [0.0, 1.0])
    1.5
    """
    pairs = _flat(outputs, targets, "mae")
    return math.fsum(abs(o - t) for o, t in pairs) / len(pairs)


def mean_squared_error(outputs: list[Any], targets: list[Any]) -> float:
    """Mean squared error over every output, as a metric (``'mse'``).

    >>> mean_squared_error([1.0, 3.0], [0.0, 1.0])
    2.5
    """
    pairs = _flat(outputs, targets, "mse")
    return math.fsum((o - t) ** 2 for o, t in pairs) / len(pairs)


mean_squared_error.__name__ = "mse"
METRICS: dict[str, Metric] = {"accuracy": accuracy, "mae": mae, "mse": mean_squared_error}
CLASSIFICATION_LOSSES = ("hinge", "binary_cross_entropy", "bce", "cross_entropy")
"""Losses whose default metrics (``metrics="auto"``) include ``accuracy``."""


def default_metrics(loss: Any) -> tuple[str, ...]:
    """The metrics ``fit`` and ``evaluate`` report besides the loss when not told:
    ``("accuracy",)`` for a classification loss (hinge, binary or softmax cross-entropy,
    by name or function), none for ``mse`` or a function of your own.

    >>> default_metrics("cross_entropy"), default_metrics("mse")
    (('accuracy',), ())
    """
    from .losses import LOSSES

    if isinstance(loss, str):
        return ("accuracy",) if loss in CLASSIFICATION_LOSSES else ()
    classification = {LOSSES[name] for name in CLASSIFICATION_LOSSES}
    loss = getattr(loss, "fn", loss)  # a Keras-like loss object (nn.keras) wraps its function
    return ("accuracy",) if loss in classification else ()


def _metric_fns(metrics: Sequence[Any] | str | None, loss: Any = None) -> dict[str, Metric]:
    if isinstance(metrics, str) and metrics == "auto":
        metrics = default_metrics(loss)
    elif isinstance(metrics, (str, bytes)):
        raise TypeError(f"metrics must be a list of names or functions (or 'auto'), got "
                        f"{metrics!r:.40}; write metrics=[{metrics!r:.40}]")
    fns: dict[str, Metric] = {}
    for m in metrics or ():
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}; use {list(METRICS)} or a function")
            fns[m] = METRICS[m]
        elif callable(m):
            fns[getattr(m, "__name__", "metric")] = m
        else:
            raise TypeError(
                f"a metric is a name or a function (outputs, targets) -> float, got {m!r}"
            )
    return fns


# --------------------------------------------------------------------------- fit
def _optimizer(model: Any, optimizer: Any, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("lr= is for a named optimizer; set it on the optimizer you pass")
        return optimizer
    if optimizer is None:
        optimizer = "adam"
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        cls = OPTIMIZERS[optimizer.lower()]
        if lr is None:
            return cls(model.parameters()) if cls is not Adam else Adam(model.parameters(), 0.01)
        return cls(model.parameters(), lr)
    raise ValueError(
        f"optimizer must be an Optimizer or one of {list(OPTIMIZERS)}, got {optimizer!r}"
    )


def _use_progress(progress: bool | None) -> bool:
    if progress is None:
        stream = sys.stderr
        return bool(getattr(stream, "isatty", None) and stream.isatty())
    return bool(progress)


class _NoBar:
    """What ``fit`` calls on its progress bar when there is none (no tqdm imported)."""

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def write(self, text: str) -> None:
        print(text, file=sys.stderr)

    def close(self) -> None:
        pass


def _progress_bar(epochs: int, enabled: bool) -> Any:
    """A tqdm bar over ``epochs``, or a stand-in when it is off. tqdm is imported only for a
    bar that shows: ``tqdm.auto`` warns on import in Jupyter without ipywidgets (a red stderr
    box), so there the plain text bar is used."""
    if not enabled:
        return _NoBar()
    try:
        if in_notebook():
            import ipywidgets  # noqa: F401  (tqdm.auto's widget bar needs it)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(total=epochs, unit="epoch", leave=True)


def fit(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: str | Callable[..., Any] = "mse",
    optimizer: Optimizer | str | None = None,
    lr: float | None = None,
    epochs: int = 10,
    batch_size: int | None = None,
    metrics: Sequence[Any] | str | None = "auto",
    validation_data: tuple[Any, Any] | None = None,
    l2_penalty: float = 0.0,
    clip_norm: float | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
    callback: Callable[[int, dict[str, float]], Any] | None = None,
    record: bool | Recorder = False,
    live: bool = False,
    compile: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)``; return the history of per-epoch figures.

    - ``loss``: a name from :mod:`nn.losses` (``"mse"``, ``"binary_cross_entropy"``,
      ``"cross_entropy"``, ``"hinge"``) or a function ``(outputs, targets) -> Value``.
    - ``optimizer``: an :class:`~nn.optim.Optimizer` on ``model.parameters()``, or a name
      (``"sgd"``, ``"adam"``, ``"rmsprop"``) with ``lr`` (Adam's default here is 0.01).
    - ``metrics``: names (``"accuracy"``, ``"mae"``, ``"mse"``) or functions
      ``(outputs, targets) -> float``; ``"auto"`` (the default) is ``["accuracy"]`` for a
      classification loss (hinge, binary or softmax cross-entropy) and none for ``mse``.
    - ``batch_size``: samples per step, shuffled each epoch with ``random.Random(seed)``;
      ``None`` means the whole set in one step (one step per epoch, in order).
    - ``l2_penalty``: adds ``l2_penalty * sum(p*p)`` to each step's loss (micrograd's
      regularisation); ``clip_norm`` clips the gradient's global norm before each step.
    - ``validation_data=(X_val, y_val)``: evaluated after each epoch (``val_`` figures).
    - ``progress``: a tqdm bar with the running loss and metrics; ``None`` shows it only when
      stderr is a terminal.
    - ``callback(epoch, figures)`` runs after each epoch; returning ``True`` stops training.
    - ``record``: ``True`` or a :class:`~nn.record.Recorder` keeps per-epoch gradient and
      weight norms per layer, dead/saturated fractions and parameter snapshots, as
      ``history.record`` (draw them with ``viz.training_page``); off by default.
    - ``live``: in Jupyter, one output redrawn after every epoch with the loss curve and,
      for 2-D inputs, the decision boundary (instead of the bar); elsewhere the tqdm bar.
    - ``compile=True``: trace the per-example loss once and run each minibatch as NumPy
      lanes (:mod:`nn.compiled`): the same history to rounding, many times faster. Needs
      NumPy (``pip install 'autograd-core[fast]'``) and a model and loss made of ops.

    The history (a ``dict`` subclass, :class:`~nn.record.History`) maps ``"loss"``, each
    metric, and their ``val_`` versions to one number per epoch; the training figures are
    averaged over the epoch's steps, before each update.
    """
    loss_fn = get_loss(loss)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    rows = _rows(X, _model_nin(model))
    targets = _targets(y, len(rows))
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        val_rows = _rows(validation_data[0], _model_nin(model), "X_val")
        val_targets = _targets(validation_data[1], len(val_rows), "y_val")
    opt = _optimizer(model, optimizer, lr)
    metric_fns = _metric_fns(metrics, loss)
    params = model.parameters()
    if l2_penalty:
        l2(params[:1], l2_penalty)  # validates the coefficient up front
    rng = random.Random(seed)
    n = len(rows)
    size = n if batch_size is None else min(batch_size, n)
    order = list(range(n))
    if not isinstance(compile, bool):
        raise TypeError(f"compile must be True or False, got {compile!r}")
    if validation_data is not None:  # a bad y_val is refused before any parameter moves
        with no_grad(), _logits_for(model, loss_fn):
            out = model([Value(v) for v in val_rows[0]])
            loss_fn([out] * len(val_targets), val_targets)
    compiled = None
    if compile:
        from .compiled import CompiledLoss

        with _logits_for(model, loss_fn):
            compiled = CompiledLoss(model, loss_fn, rows, targets)
            compiled.check_against_interpreter(list(range(min(n, size, 8))))
        inputs: list[list[Value]] = []
    else:
        # Inputs become constant leaves once, not once per step.
        inputs = [[Value(v) for v in row] for row in rows]
    history = History(loss=[])
    for name in metric_fns:
        history[name] = []
    if validation_data is not None:
        history["val_loss"] = []
        for name in metric_fns:
            history["val_" + name] = []

    rec = make_recorder(record)
    view = None
    if live and in_notebook():
        view = LiveView(model, rows, targets, history)
        history.live = view
        progress = False
    elif live and progress is None:
        progress = True
    bar = _progress_bar(epochs, _use_progress(progress))
    if rec is not None:
        rec.start(model, rows, epochs, history)
        rec.loss = loss_fn
        history.record = rec
    logits = _logits_for(model, loss_fn)
    logits.__enter__()
    try:
        for epoch in range(epochs):
            if batch_size is not None:
                rng.shuffle(order)
            total_loss = 0.0
            outs: list[Any] = []
            outs_targets: list[Any] = []
            for start in range(0, n, size):
                idx = order[start : start + size]
                batch_targets = [targets[i] for i in idx]
                if compiled is not None:
                    step_loss, preds = compiled.batch(idx)
                    if l2_penalty:
                        step_loss += _l2_floats(params, l2_penalty)
                else:
                    preds = [model(inputs[i]) for i in idx]
                    value = loss_fn(preds, batch_targets)
                    if not isinstance(value, Value):
                        raise TypeError(
                            f"the loss function must return a Value, got {type(value).__name__}"
                        )
                    if l2_penalty:
                        value = value + l2(params, l2_penalty)
                    for p in params:
                        p.grad = 0.0
                    value.backward()
                    step_loss = value.data
                    del value
                if rec is not None:
                    rec.after_backward()
                if clip_norm is not None:
                    clip_grad_norm(params, clip_norm)
                opt.step()
                total_loss += step_loss * len(idx)
                if metric_fns:
                    outs.extend(preds if compiled is not None else map(_plain, preds))
                    outs_targets.extend(batch_targets)
                del preds
            figures = {"loss": total_loss / n}
            for name, fn in metric_fns.items():
                figures[name] = float(fn(outs, outs_targets))
            if validation_data is not None and compiled is not None:
                val_loss, val_outs = compiled.on(val_rows, val_targets)
                val = {"loss": val_loss}
                val.update({k: float(fn(val_outs, val_targets)) for k, fn in metric_fns.items()})
            elif validation_data is not None:
                val = _evaluate(model, val_rows, val_targets, loss_fn, metric_fns)
            if validation_data is not None:
                figures.update({"val_" + k: v for k, v in val.items()})
            for k, v in figures.items():
                history[k].append(v)
            if rec is not None:
                rec.end_epoch(epoch)
            if view is not None:
                view(epoch)
            bar.set_postfix({k: f"{v:.4f}" for k, v in figures.items()}, refresh=False)
            bar.update(1)
            if callback is not None and callback(epoch, figures) is True:
                break
            if not math.isfinite(figures["loss"]):
                bar.write(f"epoch {epoch + 1}: the loss is {figures['loss']}; stopping")
                break
    finally:
        logits.__exit__(None, None, None)
        bar.close()
        if rec is not None:
            rec.finish()
    return history


def _l2_floats(params: Sequence[Value], alpha: float) -> float:
    """``alpha * sum(p*p)`` added to each parameter's grad as ``2*alpha*p``; the penalty.

    The compiled path's L2 on numbers: the same terms ``l2`` puts in the graph (``p*p``
    summed left to right, times alpha), without a graph of every parameter each step."""
    total = 0.0
    for p in params:
        total += p.data * p.data
        p.grad += alpha * p.data + alpha * p.data  # d(alpha*p*p)/dp, as the mul rule adds it
    return total * alpha


def _logits_for(model: Any, loss_fn: Any) -> Any:
    """The model's block for computing ``loss_fn`` stably (a Keras-style ``Sequential`` with
    a softmax last layer gives its logits to cross-entropy), else a block doing nothing."""
    hook = getattr(model, "logits_for", None)
    return hook(loss_fn) if hook is not None else contextlib.nullcontext()


# --------------------------------------------------------------------------- inference
def _outputs(model: Any, rows: list[list[float]]) -> list[Any]:
    fast = getattr(model, "predict_one", None)
    if fast is not None:
        return [fast(row) for row in rows]
    with no_grad():
        return [_plain(model(row)) for row in rows]


def predict(model: Any, X: Any, classes: bool = False) -> list[Any]:
    """The model's outputs for every row of ``X``, as floats (lists of floats for several
    outputs); records no graph.

    ``classes=True`` gives class labels instead: the argmax for several outputs, ``1`` or
    ``0`` for one output (score > 0; for labels -1/+1 use ``2 * c - 1``).

    >>> from nn import MLP
    >>> model = MLP(2, [3], seed=0)
    >>> labels = predict(model, [[1.0, 0.0], [0.0, 1.0]], classes=True)
    >>> all(c in (0, 1, 2) for c in labels)
    True
    """
    rows = _rows(X, _model_nin(model))
    if not classes:
        return _outputs(model, rows)
    hook = getattr(model, "outputs_logits", None)  # the same classes, from the logits
    with hook() if hook is not None else contextlib.nullcontext():
        outs = _outputs(model, rows)
    return [int(_label(o)) for o in outs]


def predict_classes(model: Any, X: Any) -> list[int]:
    """``predict(model, X, classes=True)``: one class label per row of ``X``."""
    return predict(model, X, classes=True)


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: str | Callable[..., Any] = "mse",
    metrics: Sequence[Any] | str | None = "auto",
) -> dict[str, float]:
    """The mean loss and each metric over ``(X, y)``, recording no graph (``metrics`` as
    for :func:`fit`: ``"auto"`` adds accuracy for a classification loss only)."""
    rows = _rows(X, _model_nin(model))
    loss_fn = get_loss(loss)
    with _logits_for(model, loss_fn):
        return _evaluate(model, rows, _targets(y, len(rows)), loss_fn,
                         _metric_fns(metrics, loss))


def _evaluate(
    model: Any, rows: list[list[float]], targets: list[Any], loss_fn: Callable[..., Any],
    fns: dict[str, Metric],
) -> dict[str, float]:
    outs = _outputs(model, rows)
    with no_grad():
        preds = [[Value(v) for v in o] if isinstance(o, list) else Value(o) for o in outs]
        value = loss_fn(preds, targets)
    figures = {"loss": value.data if isinstance(value, Value) else float(value)}
    for name, fn in fns.items():
        figures[name] = float(fn(outs, targets))
    return figures


__all__ = [
    "METRICS",
    "History",
    "Recorder",
    "accuracy",
    "default_metrics",
    "evaluate",
    "fit",
    "mae",
    "predict",
    "predict_classes",
]

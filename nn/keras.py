"""A Keras-shaped front door: ``Sequential``, ``Dense``, ``compile``, ``fit``, ``evaluate``,
``predict`` and ``summary``, as the articles write them, on this engine.

>>> from nn.keras import Sequential, Dense
>>> model = Sequential([Dense(8, activation="relu", input_shape=(4,)),
...                     Dense(3, activation="softmax")], seed=0)
>>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> X = [[0.0, 1.0, 0.5, -1.0], [1.0, 0.0, -0.5, 2.0], [0.2, 0.2, 0.2, 0.2]]
>>> history = model.fit(X, [0, 1, 2], epochs=3, batch_size=2, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']
>>> p = model.predict(X)[0]                 # probabilities: the softmax of the logits
>>> len(p), abs(sum(p) - 1.0) < 1e-12
(3, True)
>>> model.parameters()[0].label             # the same labels as an MLP's
'L0.n0.w0'

It is a thin layer over the rest of ``nn``: a ``Sequential`` *is* an :class:`~nn.MLP`
(one :class:`~nn.Layer` per ``Dense``, each with its own activation), ``fit`` is
:func:`nn.fit`, the losses are :mod:`nn.losses`. So ``nn.save``/``nn.load``, drawing
(``viz``), stepping and ``fit(record=True)`` work on it as on an ``MLP``.

``activation="softmax"`` on the last layer: the layer's neurons are linear (they give the
logits) and the model applies a softmax on top, so ``model(x)`` and ``predict`` give
probabilities. Trained or evaluated with a cross-entropy loss, the loss is computed on the
logits with a log-sum-exp (as Keras does with ``from_logits``), so logits of +-1000 give a
finite loss and gradient. ``activation="sigmoid"`` on a last layer of one unit works the same
way with binary cross-entropy. A last layer with no activation gives logits, and the
cross-entropy losses take them as logits.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autograd_core import Value

from . import losses as _losses
from . import optim as _optim
from . import train as _train
from .losses import logsumexp
from .module import MLP, Layer, _as_values, _input_labels, _text, get_activation

_HEADS = ("softmax", "sigmoid")  # last-layer activations applied on top of the logits


# --------------------------------------------------------------------------- optimizers
class KerasOptimizer:
    """An optimizer named Keras' way, made on the model's parameters when ``fit`` first runs
    (a Keras model may be compiled before its input size, hence its parameters, is known)."""

    cls: type[_optim.Optimizer] = _optim.SGD
    default_lr = 0.01

    def __init__(self, learning_rate: float | None = None, **options: Any) -> None:
        lr = self.default_lr if learning_rate is None else learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
            raise ValueError(f"learning_rate must be a number > 0, got {lr!r}")
        self.learning_rate = float(lr)
        self.options = options

    def build(self, params: list[Value]) -> _optim.Optimizer:
        """The :mod:`nn.optim` optimizer on ``params``."""
        return self.cls(params, self.learning_rate, **self.options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(KerasOptimizer):
    """Keras' ``SGD(learning_rate=0.01, momentum=0.0)``: :class:`nn.SGD`."""

    cls = _optim.SGD
    default_lr = 0.01

    def __init__(self, learning_rate: float | None = None, momentum: float = 0.0) -> None:
        super().__init__(learning_rate, momentum=momentum)


class Adam(KerasOptimizer):
    """Keras' ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``:
    :class:`nn.Adam`."""

    cls = _optim.Adam
    default_lr = 0.001

    def __init__(self, learning_rate: float | None = None, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate, betas=(beta_1, beta_2), eps=epsilon)


class RMSprop(KerasOptimizer):
    """Keras' ``RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7)``: :class:`nn.RMSProp`."""

    cls = _optim.RMSProp
    default_lr = 0.001

    def __init__(self, learning_rate: float | None = None, rho: float = 0.9,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate, alpha=rho, eps=epsilon)


OPTIMIZERS: dict[str, type[KerasOptimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get_optimizer(spec: Any) -> KerasOptimizer | _optim.Optimizer:
    """``'sgd'``/``'adam'``/``'rmsprop'`` (Keras' default learning rates: 0.01, 0.001, 0.001),
    one of this module's ``SGD``/``Adam``/``RMSprop``, an :mod:`nn.optim` class (made with its
    own default rate) or an :class:`nn.Optimizer` already made on the model's parameters."""
    if isinstance(spec, (KerasOptimizer, _optim.Optimizer)):
        return spec
    if isinstance(spec, str) and spec.lower() in OPTIMIZERS:
        return OPTIMIZERS[spec.lower()]()
    if isinstance(spec, type) and issubclass(spec, _optim.Optimizer):
        made = KerasOptimizer.__new__(KerasOptimizer)
        made.cls, made.options = spec, {}
        made.learning_rate = {_optim.Adam: 0.001}.get(spec, 0.01)
        return made
    raise ValueError(
        f"unknown optimizer {spec!r:.60}; give 'sgd', 'adam', 'rmsprop', "
        "nn.keras.SGD/Adam/RMSprop(learning_rate=...) or an nn.Optimizer"
    )


# --------------------------------------------------------------------------- losses
class KerasLoss:
    """A loss named Keras' way; calling it is calling the :mod:`nn.losses` function."""

    fn: Callable[..., Any] = staticmethod(_losses.mse)

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def __call__(self, predictions: Any, targets: Any) -> Any:
        return type(self).fn(predictions, targets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(KerasLoss):
    """Keras' ``MeanSquaredError()``: :func:`nn.mse`."""

    fn = staticmethod(_losses.mse)


class SparseCategoricalCrossentropy(KerasLoss):
    """Keras' ``SparseCategoricalCrossentropy()`` (integer labels): :func:`nn.cross_entropy`
    on the logits."""

    fn = staticmethod(_losses.cross_entropy)


class CategoricalCrossentropy(KerasLoss):
    """Keras' ``CategoricalCrossentropy()`` (one-hot rows): :func:`nn.cross_entropy` on the
    logits."""

    fn = staticmethod(_losses.cross_entropy)


class BinaryCrossentropy(KerasLoss):
    """Keras' ``BinaryCrossentropy()`` (0/1 labels): :func:`nn.binary_cross_entropy` on the
    logit."""

    fn = staticmethod(_losses.binary_cross_entropy)


class Hinge(KerasLoss):
    """Keras' ``Hinge()`` (labels -1/+1): :func:`nn.hinge`."""

    fn = staticmethod(_losses.hinge)


LOSSES: dict[str, Callable[..., Any]] = {
    "mse": _losses.mse,
    "mean_squared_error": _losses.mse,
    "sparse_categorical_crossentropy": _losses.cross_entropy,
    "categorical_crossentropy": _losses.cross_entropy,
    "binary_crossentropy": _losses.binary_cross_entropy,
    "hinge": _losses.hinge,
    **_losses.LOSSES,
}


def get_loss(spec: Any) -> Callable[..., Any]:
    """The :mod:`nn.losses` function for a Keras name (``'mse'``,
    ``'mean_squared_error'``, ``'sparse_categorical_crossentropy'``,
    ``'categorical_crossentropy'``, ``'binary_crossentropy'``, ``'hinge'``), one of our names,
    a Keras-like loss object (``MeanSquaredError()``), or any function
    ``(outputs, targets) -> Value``."""
    if isinstance(spec, KerasLoss):
        return type(spec).fn
    if isinstance(spec, type) and issubclass(spec, KerasLoss):
        return spec.fn
    if isinstance(spec, str):
        if spec.lower() in LOSSES:
            return LOSSES[spec.lower()]
        raise ValueError(f"unknown loss {spec!r:.60}; choose one of {', '.join(map(repr, LOSSES))}")
    if callable(spec):
        return spec
    raise TypeError(f"loss must be a name, a loss object or a function, got {type(spec).__name__}")


METRIC_NAMES = {
    "accuracy": "accuracy", "acc": "accuracy", "sparse_categorical_accuracy": "accuracy",
    "categorical_accuracy": "accuracy", "binary_accuracy": "accuracy",
    "mae": "mae", "mean_absolute_error": "mae", "mse": "mse", "mean_squared_error": "mse",
}


def _metrics(metrics: Sequence[Any] | None) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (str, bytes)) or not isinstance(metrics, Sequence):
        raise TypeError(f"metrics must be a list such as ['accuracy'], got {metrics!r:.60}")
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m.lower() not in METRIC_NAMES:
                raise ValueError(
                    f"unknown metric {m!r:.60}; use one of {sorted(METRIC_NAMES)} or a function"
                )
            out.append(METRIC_NAMES[m.lower()])
        else:
            out.append(m)
    return out


# --------------------------------------------------------------------------- layers
class Dense:
    """A fully connected layer of ``units`` neurons, as Keras' ``Dense``.

    ``activation``: ``None`` (linear), ``'softmax'`` (last layer only) or anything
    :class:`nn.MLP` takes (``'relu'``, ``'tanh'``, ``'gelu'``, an op, a function of a Value).
    ``input_shape``: ``(n,)`` on the first layer fixes the input size; otherwise the first
    call or ``fit`` does.
    """

    def __init__(self, units: int, activation: Any = None, input_shape: Any = None,
                 name: str | None = None) -> None:
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"Dense: units must be a positive int, got {units!r:.40}")
        self.units = units
        if activation is None:
            activation = "linear"
        if activation != "softmax":
            get_activation(activation)  # refuses an unknown one now, not at build time
        self.activation = activation
        self.input_dim = _input_size(input_shape) if input_shape is not None else None
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Dense: name must be a str, got {type(name).__name__}")
        self.name = name

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={_text(self.activation)!r})"


def _input_size(shape: Any) -> int:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if (not isinstance(shape, (tuple, list)) or len(shape) != 1
            or isinstance(shape[0], bool) or not isinstance(shape[0], int) or shape[0] < 1):
        raise ValueError(
            f"input_shape must be (n,) for n inputs, got {shape!r:.40}; this engine's Dense "
            "layers read flat rows (flatten a 28x28 image to 784 numbers first)"
        )
    return shape[0]


class History:
    """What Keras' ``fit`` returns: ``.history`` maps ``'loss'``, each metric and their
    ``val_`` versions to one number per epoch; ``.epoch`` lists the epochs run;
    ``.record`` is ``fit(record=True)``'s recorder."""

    def __init__(self, history: Any, model: Sequential, params: dict[str, Any]) -> None:
        self.history = history
        self.model = model
        self.params = params
        self.epoch = list(range(len(history.get("loss", []))))
        self.record = getattr(history, "record", None)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


# --------------------------------------------------------------------------- the model
class Probabilities(list):
    """A softmax layer's outputs (a list of Values) that keeps the logits they came from, so
    :func:`nn.cross_entropy` given these probabilities computes on ``.logits``, stably (as
    Keras finds a softmax's logits when ``from_logits=False``)."""

    __slots__ = ("logits",)

    def __init__(self, probabilities: list[Value], logits: list[Value]) -> None:
        super().__init__(probabilities)
        self.logits = logits


class Sequential(MLP):
    """A stack of :class:`Dense` layers, as Keras' ``Sequential``; an :class:`nn.MLP` whose
    layers may each have their own activation.

    ``seed=`` makes the initial weights reproducible (the same numbers as an ``MLP`` of the
    same sizes and activations with that seed).
    """

    def __init__(self, layers: Sequence[Dense] | None = None, *, seed: int | None = None,
                 init: str = "auto", name: str = "sequential") -> None:
        self.nin = None  # type: ignore[assignment]
        self.sizes = []
        self.layers = []
        self._dense: list[Dense] = []
        self._seed = seed
        self._init = init
        self._name = name
        self._logits = False
        self._compiled: dict[str, Any] | None = None
        self._opt: _optim.Optimizer | None = None
        if isinstance(layers, Dense) or (layers is not None and not isinstance(layers, Sequence)):
            raise TypeError("Sequential takes a list of Dense layers, e.g. Sequential([Dense(1)])")
        for layer in layers or ():
            self.add(layer)

    # ---------------------------------------------------------------- structure
    def add(self, layer: Dense) -> None:
        """Append a :class:`Dense` layer. On a model built already (by ``input_shape``),
        the layers are made again, with new initial weights."""
        if not isinstance(layer, Dense):
            raise TypeError(f"Sequential takes Dense layers, got {type(layer).__name__}")
        if self._dense and self._dense[-1].activation == "softmax":
            raise ValueError("softmax is for the last layer only; give the earlier layer "
                             "another activation")
        if self._dense and layer.input_dim is not None:
            raise ValueError("only the first layer takes input_shape")
        self._dense.append(layer)
        nin = self.nin if self.built else self._dense[0].input_dim
        if nin is not None:
            self.nin = None  # type: ignore[assignment]
            self._opt = None
            self.build(nin)

    @property
    def built(self) -> bool:
        """Whether the input size, hence every parameter, is known."""
        return isinstance(self.nin, int)

    def build(self, nin: int) -> None:
        """Make the layers for ``nin`` inputs (done by ``input_shape``, a call or ``fit``)."""
        if self.built:
            if nin != self.nin:
                raise ValueError(f"the model expects {self.nin} inputs, got {nin}")
            return
        if not self._dense:
            raise ValueError("the model has no layers; add Dense layers first")
        from .module import _make_rng

        rng = _make_rng(self._seed, None)
        sizes = [nin] + [d.units for d in self._dense]
        layers = []
        for i, d in enumerate(self._dense):
            act, init = d.activation, self._init
            if i == len(self._dense) - 1 and act in _HEADS:
                # linear neurons give the logits; the head goes on top (Xavier as for sigmoid)
                if act == "sigmoid" and init == "auto":
                    init = "xavier"
                act = "linear"
            layers.append(Layer(sizes[i], sizes[i + 1], act, rng=rng, init=init))
        self.nin = nin
        self.sizes = sizes[1:]
        self.layers = layers
        self._x_labels = _input_labels(nin)
        self.label_parameters()

    def _need_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{what}: the model is not built yet (its input size is unknown); give the "
                "first Dense input_shape=(n,), or call or fit it on data first"
            )

    @property
    def output(self) -> str:
        """The last layer's activation name (``'softmax'``, ``'sigmoid'``, ``'linear'``...)."""
        self._need_dense()
        return _text(self._dense[-1].activation)

    @property
    def _head(self) -> str | None:
        last = self._dense[-1].activation if self._dense else None
        return last if isinstance(last, str) and last in _HEADS else None

    def _need_dense(self) -> None:
        if not self._dense:
            raise ValueError("the model has no layers; add Dense layers first")

    def _assign_labels(self, prefix: str) -> None:
        super()._assign_labels(prefix)
        if self.layers and self._head is not None:
            outs = [n._out_label for n in self.layers[-1].neurons]
            stems = [s[: -len(".out")] if s.endswith(".out") else s for s in outs]
            self._head_labels = ([s + ".z" for s in stems], outs,
                                    _join_label(stems[0].rsplit(".", 1)[0], "lse"))

    # ---------------------------------------------------------------- forward
    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        """One input's output as Values (probabilities after a softmax last layer)."""
        if not self.built:
            self.build(_width(x))
        h = _as_values(x, self.nin, "Sequential", self._x_labels)
        for layer in self.layers:
            h = layer._forward(h)
        head = self._head
        if head is not None and not self._logits:
            zs_labels, out_labels, lse_label = self._head_labels
            for z, label in zip(h, zs_labels, strict=True):
                z.label = label
            if head == "softmax":
                lse = logsumexp(h)
                lse.label = lse_label
                h = Probabilities([(z - lse).exp() for z in h], h)
            else:
                h = [z.sigmoid() for z in h]
            for p, label in zip(h, out_labels, strict=True):
                p.label = label
        return h[0] if len(h) == 1 else h

    def predict_one(self, x: Sequence[Any]) -> float | list[float]:
        """One input's output on plain floats, recording no graph."""
        if not self.built:
            self.build(_width(x))
        out = super().predict_one(x)
        head = self._head
        if head == "sigmoid" and not self._logits:
            zs = out if isinstance(out, list) else [out]
            probs = [_sigmoid(z) for z in zs]
            return probs if isinstance(out, list) else probs[0]
        if head == "softmax" and not self._logits:
            zs = out if isinstance(out, list) else [out]
            m = max(zs)
            es = [math.exp(z - m) for z in zs]
            total = sum(es)
            probs = [e / total for e in es]
            return probs if isinstance(out, list) else probs[0]
        return out

    @contextlib.contextmanager
    def outputs_logits(self) -> Iterator[None]:
        """Within this block the model gives its last layer's logits (no softmax)."""
        old, self._logits = self._logits, True
        try:
            yield
        finally:
            self._logits = old

    def logits_for(self, loss: Callable[..., Any]) -> contextlib.AbstractContextManager[None]:
        """:meth:`outputs_logits` if ``loss`` is the cross-entropy the last layer's softmax
        pairs with (so the loss takes the logits, stably); otherwise a block that changes
        nothing. ``nn.fit`` and ``nn.evaluate`` use it."""
        head = self._head
        if (head == "softmax" and loss is _losses.cross_entropy) or (
                head == "sigmoid" and loss is _losses.binary_cross_entropy):
            return self.outputs_logits()
        return contextlib.nullcontext()

    # ---------------------------------------------------------------- Keras' methods
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None, jit_compile: bool = False) -> None:
        """Choose the optimizer, the loss and the metrics ``fit`` and ``evaluate`` use.

        Names as in Keras: ``'sgd'``, ``'adam'``, ``'rmsprop'``; ``'mse'``,
        ``'sparse_categorical_crossentropy'``, ``'categorical_crossentropy'``,
        ``'binary_crossentropy'``; metrics ``['accuracy']``, ``'mae'``. Or objects:
        ``Adam(learning_rate=0.01)``, ``MeanSquaredError()``, ``nn.cross_entropy``...
        ``jit_compile=True`` (Keras' name): ``fit`` traces the per-example loss once and runs
        each batch as NumPy lanes, ``nn.fit(compile=True)``.
        """
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='mse' or "
                             "loss='sparse_categorical_crossentropy'")
        loss_fn = get_loss(loss)
        if getattr(loss, "from_logits", False) and self._head is not None:
            raise ValueError(
                f"the last layer applies {self._head} but the loss says from_logits=True; use "
                "Dense(..., activation=None) for logits or from_logits=False"
            )
        if not isinstance(jit_compile, bool):
            raise TypeError(f"jit_compile must be True or False, got {jit_compile!r}")
        self._compiled = {"optimizer": get_optimizer(optimizer), "loss": loss_fn,
                          "metrics": _metrics(metrics), "jit_compile": jit_compile}
        self._opt = None

    def _settings(self, what: str) -> dict[str, Any]:
        if self._compiled is None:
            raise ValueError(f"{what}: compile the model first, e.g. model.compile("
                             "optimizer='adam', loss='mse')")
        return self._compiled

    def _optimizer(self) -> _optim.Optimizer:
        if self._opt is None:
            spec = self._settings("fit")["optimizer"]
            self._opt = spec if isinstance(spec, _optim.Optimizer) else spec.build(
                self.parameters())
        return self._opt

    def fit(self, x: Any, y: Any, epochs: int = 1, batch_size: int | None = 32,
            validation_data: tuple[Any, Any] | None = None, verbose: int | str = "auto",
            *, seed: int | None = 0, record: Any = False, **options: Any) -> History:
        """Train with the compiled optimizer, loss and metrics: :func:`nn.fit`.

        Keras' defaults: one epoch, batches of 32 (shuffled each epoch; ``None`` for the whole
        set in one step). ``verbose``: 0 silent; 1, 2 or ``'auto'`` print one line per epoch.
        Other options (``record=True``, ``clip_norm=``, ``callback=``...) go to ``nn.fit``.
        """
        settings = self._settings("fit")
        rows = _train._rows(x, self.nin if self.built else None, "x")
        self.build(len(rows[0]))
        callback = options.pop("callback", None)
        options.setdefault("compile", settings["jit_compile"])
        if verbose not in (0, 1, 2, "auto"):
            raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        start = time.perf_counter()

        def report(epoch: int, figures: dict[str, float]) -> Any:
            nonlocal start
            if verbose:
                spent = time.perf_counter() - start
                shown = " - ".join(f"{k}: {v:.4f}" for k, v in figures.items())
                print(f"Epoch {epoch + 1}/{epochs} - {spent:.1f}s - {shown}", file=sys.stdout,
                      flush=True)
                start = time.perf_counter()
            return callback(epoch, figures) if callback is not None else None

        history = _train.fit(
            self, rows, y, loss=settings["loss"], optimizer=self._optimizer(), epochs=epochs,
            batch_size=batch_size, metrics=settings["metrics"], validation_data=validation_data,
            seed=seed, progress=False, callback=report, record=record, **options,
        )
        return History(history, self, {"epochs": epochs, "batch_size": batch_size,
                                       "samples": len(rows)})

    def evaluate(self, x: Any, y: Any, batch_size: int | None = None, verbose: int | str = 0,
                 return_dict: bool = False) -> Any:
        """The loss (and metrics) over ``(x, y)``: a number if there are no metrics, else the
        list ``[loss, metric, ...]`` as Keras gives it, or a dict with ``return_dict=True``."""
        settings = self._settings("evaluate")
        rows = _train._rows(x, self.nin if self.built else None, "x")
        self.build(len(rows[0]))
        figures = _train.evaluate(self, rows, y, loss=settings["loss"],
                                  metrics=settings["metrics"])
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in figures.items()), flush=True)
        if return_dict:
            return figures
        values = list(figures.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> Any:
        """The outputs for every row of ``x``, one row of ``units`` numbers per sample
        (probabilities after a softmax last layer); a NumPy array when ``x`` is one."""
        rows = _train._rows(x, self.nin if self.built else None, "x")
        self.build(len(rows[0]))
        outs = [o if isinstance(o, list) else [o] for o in _train.predict(self, rows)]
        if type(x).__module__ == "numpy":
            import numpy as np

            return np.array(outs)
        return outs

    def predict_classes(self, x: Any) -> list[int]:
        """The class of every row: the argmax, or 1/0 for one output (logit > 0)."""
        return _train.predict(self, x, classes=True)

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print a table of the layers, their output shapes and parameter counts, as Keras'
        ``summary()`` does (``print_fn`` receives the text instead)."""
        self._need_built("summary")
        width = 72
        lines = [f'Model: "{self._name}"', "_" * width,
                 f" {'Layer (type)':<22}{'Output Shape':<15}{'Param #':>9}   "
                 f"{'Activation':<12}Labels", "=" * width]
        total = 0
        for i, (d, layer) in enumerate(zip(self._dense, self.layers, strict=True)):
            name = d.name or ("dense" if i == 0 else f"dense_{i}")
            count = layer.nout * (layer.nin + 1)
            total += count
            lines.append(f" {name + ' (Dense)':<22}{f'(None, {layer.nout})':<15}{count:>9,}   "
                         f"{_text(d.activation):<12}L{i}.n*")
        lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {total:,}",
                  "Non-trainable params: 0", "_" * width]
        text = "\n".join(lines)
        (print_fn or print)(text)

    # ---------------------------------------------------------------- saving
    def config(self) -> dict[str, Any]:
        self._need_built("save")
        return {"nin": self.nin, "layers": [
            {"units": d.units, "activation": _saved_activation(d.activation, layer)}
            for d, layer in zip(self._dense, self.layers, strict=True)]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """The model a saved ``config`` describes (weights set afterwards)."""
        layers = [Dense(spec["units"], spec["activation"]) for spec in config["layers"]]
        model = cls(layers, seed=0)
        model.build(config["nin"])
        return model

    def __repr__(self) -> str:
        if not self.built:
            return f"Sequential({len(self._dense)} layers, not built)"
        shape = " -> ".join(str(s) for s in [self.nin, *self.sizes])
        acts = ", ".join(_text(d.activation) for d in self._dense)
        return f"Sequential({shape}, {acts}, {self.num_parameters()} parameters)"


def _saved_activation(spec: Any, layer: Layer) -> Any:
    return spec if isinstance(spec, str) and spec in _HEADS else layer.activation


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _join_label(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _width(x: Any) -> int:
    try:
        n = len(x)
    except TypeError:
        raise TypeError(f"Sequential expects a row of numbers, got {type(x).__name__}") from None
    if n < 1:
        raise ValueError("Sequential expects a row of at least one number")
    return n


__all__ = [
    "SGD",
    "Adam",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Dense",
    "Hinge",
    "History",
    "MeanSquaredError",
    "RMSprop",
    "Sequential",
    "SparseCategoricalCrossentropy",
    "get_loss",
    "get_optimizer",
]

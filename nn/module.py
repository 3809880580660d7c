"""Modules: ``Module`` (the base), ``Neuron``, ``Layer`` and ``MLP``.

The layout is micrograd's, so code written for it runs unchanged: ``MLP(2, [16, 16, 1])``,
``model(x)``, ``model.parameters()`` in the order per layer, per neuron: weights, then bias.

A neuron computes ``b + w0*x0 + w1*x1 + ...`` as **one** ``dot`` node of the engine (with its
own local derivatives) and then its activation, so one neuron is two nodes in the graph
instead of 2n + 1, and a training step builds and differentiates far fewer nodes.

Initialisation is seeded: ``seed=`` (an int) or ``rng=`` (a ``random.Random``) gives the same
numbers every time. Weights are drawn uniformly from ``[-limit, limit]`` with the usual scaling
for the activation that follows them:

- ``relu`` (and ``linear`` and every other activation): He, ``limit = sqrt(6 / nin)``
  (variance ``2 / nin``);
- ``tanh`` and ``sigmoid``: Xavier/Glorot, ``limit = sqrt(6 / (nin + nout))``;
- ``init="uniform"``: micrograd's ``uniform(-1, 1)``.

Biases start at 0.

Activations (``activation=``, ``output_activation=``): ``"linear"`` or ``None``; the name of
any one-input op registered with ``primitive()``, built-in (``"relu"``, ``"tanh"``,
``"sigmoid"``, ``"leaky_relu"``, ``"leaky_relu(slope=0.2)"``, ``"elu"``, ``"softplus"``,
``"gelu"``, ...) or your own; such an op itself (``autograd_core.ops.gelu``); or any function
from a Value to a Value (``lambda v: v * v.sigmoid()``). Ops run on the engine's fast path.
A model records its activations by name, so ``save`` refuses one whose activation has no
registered name (a lambda), and ``load`` finds your own op by name once its definition has
been imported.

Labels (names in drawings and step-by-step text)
------------------------------------------------
Every parameter's ``label`` is a short dotted path, unique within the model, from its place
in the model; a drawing groups values into one cluster per dotted prefix (``L0.n3.w1`` is in
cluster ``L0``, the layer, and ``L0.n3``, the neuron):

- in an ``MLP``: weight ``j`` of neuron ``i`` in layer ``k`` is ``L{k}.n{i}.w{j}``, its bias
  ``L{k}.n{i}.b``;
- in a standalone ``Layer``: ``n{i}.w{j}`` and ``n{i}.b``;
- in a standalone ``Neuron``: ``w{j}`` and ``b``.

A neuron's forward labels its ``dot`` node (the pre-activation) ``<neuron>.z`` and its
activation ``<neuron>.out`` (``L0.n3.z``, ``L0.n3.out``); a linear neuron has only the ``dot``
node, labelled ``<neuron>.out``. A standalone neuron's are ``z`` and ``out``. Inputs given as
plain numbers become leaves labelled ``x0, x1, ...``; Values passed in keep their labels.
``named_parameters()`` names are unchanged (``layers.0.neurons.3.w.1``). Each forward labels
its own nodes the same way, so in a batch's graph one neuron's ``z`` appears once per sample
(``autograd_core.steps.node_names`` tells them apart: ``L0.n3.z``, ``L0.n3.z_2``, ...).

The labels are computed once, when the outermost module's ``__init__`` returns, so a forward
only stores precomputed strings (one attribute write per node). A module of your own gets
labels the same way, with no code: attribute ``name`` is labelled ``name``, item ``i`` of a
list attribute ``name`` is ``name{i}``, and a sub-module's labels are prefixed with its own
(``self.encoder = MLP(...)`` gives ``encoder.L0.n3.w1``; ``self.heads = [Neuron(4), ...]``
gives ``heads0.w2``). A subclass can set ``_list_labels`` (attribute -> stem, as ``Layer``
maps ``neurons`` to ``n``) or override ``_assign_labels(prefix)``. Call
``model.label_parameters()`` yourself after changing the structure (appending a layer) and in
a ``@dataclass`` module (its generated ``__init__`` is not seen). A parameter shared by two
places keeps the label of the last one walked.

>>> m = MLP(2, [3, 1], seed=0)
>>> m.layers[0].neurons[2].w[1].label, m.layers[1].neurons[0].b.label
('L0.n2.w1', 'L1.n0.b')
>>> out = m([0.5, -1.0])                    # the last neuron is linear: one dot node
>>> out.label
'L1.n0.out'
>>> [p.label for p in out.parents]
['L1.n0.w0', 'L1.n0.w1', 'L1.n0.w2', 'L0.n0.out', 'L0.n1.out', 'L0.n2.out', 'L1.n0.b']
>>> h = out.parents[3]; h.op, h.parents[0].label, [p.label for p in h.parents[0].parents]
('relu', 'L0.n0.z', ['L0.n0.w0', 'L0.n0.w1', 'x0', 'x1', 'L0.n0.b'])
"""

from __future__ import annotations

import functools
import math
import random
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from autograd_core import Op, Value, dot, no_grad, registered_ops, to_float
from autograd_core import ops as _ops
from autograd_core.primitives import unary_function

ACTIVATIONS: dict[str, Any] = {
    # name: (Value method or None for identity, forward on floats or None)
    "relu": (Value.relu, _ops.relu.forward),
    "tanh": (Value.tanh, _ops.tanh.forward),
    "sigmoid": (Value.sigmoid, _ops.sigmoid.forward),
    "linear": (None, None),
}
"""The classic four by name. Any other one-input op registered with ``primitive()`` (built-in
such as ``"leaky_relu"``, ``"gelu"``, or your own) works as well: see :func:`get_activation`."""
INITS = ("auto", "he", "xavier", "uniform")
# The engine's own ops return floats and have no domain check: their forward is used as is.
_ENGINE_OPS = frozenset(id(op) for op in vars(_ops).values() if isinstance(op, Op))
_PARAMETRISED = re.compile(r"^([A-Za-z_]\w*)\((\w+)=([^()]+)\)$")


class Activation:
    """A neuron's activation, resolved once: its name (``None`` when it has none that a file
    could record) and the functions a forward calls on a Value and on a float."""

    __slots__ = ("fn", "name", "on_float", "on_value")

    def __init__(self, name: str | None, on_value: Any, on_float: Any, fn: Any) -> None:
        self.name = name
        self.on_value = on_value
        self.on_float = on_float
        self.fn = fn


def _kinds() -> str:
    unary = sorted(name for name, op in registered_ops().items() if op.arity == 1)
    return (
        f"'linear' (or None), the name of a one-input op ({', '.join(map(repr, unary))}, "
        "'leaky_relu(slope=0.2)'), such an op itself, or a function of one Value"
    )


def _named_op(name: str) -> Op | None:
    """The registered one-input op called ``name`` (``leaky_relu(slope=0.2)`` included)."""
    op = registered_ops().get(name)
    if op is None:
        m = _PARAMETRISED.match(name)
        family = registered_ops().get(m.group(1)) if m else None
        if not isinstance(family, _ops.ParametrisedOp) or m is None:
            return None
        try:
            return family.at(**{m.group(2): float(m.group(3))})
        except (TypeError, ValueError):
            return None
    return op if op.arity == 1 else None


def _op_name(op: Op) -> str | None:
    """The name a file can record ``op`` by, if any: registered, or of a registered family."""
    if registered_ops().get(op.name) is op:
        return op.name
    if isinstance(op, _ops.ParametrisedOp) and _named_op(op.name) is not None:
        return op.name  # made again from that name, it is the same op
    return None


def get_activation(spec: Any) -> Activation:
    """Resolve an activation: ``"linear"``/``None``, a name (``"relu"``, ``"gelu"``,
    ``"leaky_relu"``, ``"leaky_relu(slope=0.2)"``, an op of your own), a one-input ``Op``,
    or a function from a Value to a Value (``lambda v: v * v.sigmoid()``).

    Ops go down the engine's fast path; a function is called on the pre-activation (a Value)
    and must return a Value. Only named ones can be saved (``nn.save``).
    """
    if spec is None or (isinstance(spec, str) and spec == "linear"):
        return Activation("linear", None, None, None)
    if isinstance(spec, str):
        if spec in ACTIVATIONS:
            on_value, on_float = ACTIVATIONS[spec]
            return Activation(spec, on_value, on_float, registered_ops()[spec])
        op = _named_op(spec)
        if op is None:
            raise ValueError(f"unknown activation {spec!r:.80}; give {_kinds()}")
        return _of_op(op, op.name)  # "leaky_relu(slope=0.01)" is "leaky_relu"
    if isinstance(spec, Op):
        if spec.arity != 1:
            raise ValueError(
                f"activation op {spec.name!r} takes {spec.arity or 'any number of'} inputs; "
                f"an activation takes one: give {_kinds()}"
            )
        name = _op_name(spec)
        if name in ACTIVATIONS:  # relu, tanh, sigmoid: the very same path as by name
            return get_activation(name)
        return _of_op(spec, name)
    if callable(spec):
        return Activation(None, _checked(spec), _on_float(spec), spec)
    raise TypeError(f"activation must be a str, an op or a function, got "
                    f"{type(spec).__name__} {spec!r:.40}; give {_kinds()}")


def _of_op(op: Op, name: str | None) -> Activation:
    fast_float = id(op) in _ENGINE_OPS or isinstance(op, _ops.ParametrisedOp)
    if fast_float and op.check is None:
        on_float = op.forward
    else:
        def on_float(s: float) -> float:
            return op.evaluate((s,))
    return Activation(name, unary_function(op), on_float, op)


def _describe(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _checked(fn: Any) -> Any:
    """``fn`` on a Value, refusing a result that is not a Value (no gradient could flow)."""

    def act(z: Value) -> Value:
        out = fn(z)
        if not isinstance(out, Value):
            raise TypeError(
                f"activation {_describe(fn)} returned {type(out).__name__} {out!r:.40}, not a "
                "Value; build it from Value operations (v.tanh(), v * v.sigmoid(), ...) so "
                "gradients flow through it"
            )
        return out

    return act


def _on_float(fn: Any) -> Any:
    """``fn`` on a float, for ``predict_one``: called on a Value with no graph recorded."""

    def act(s: float) -> float:
        with no_grad():
            out = fn(Value(s))
        return out.data if isinstance(out, Value) else to_float(out, "the activation's result")

    return act


def _spec(act: Activation) -> Any:
    """What a module stores as its ``activation``: the name, or the function itself."""
    return act.name if act.name is not None else act.fn


def _text(spec: Any) -> str:
    return spec if isinstance(spec, str) else _describe(spec)


def _check_size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


def _make_rng(seed: Any, rng: Any) -> random.Random:
    if rng is not None:
        if seed is not None:
            raise ValueError("pass seed= or rng=, not both")
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return random.Random(seed)


def _init_limit(init: str, activation: Any, nin: int, nout: int) -> float:
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(map(repr, INITS))}")
    if init == "uniform":
        return 1.0
    if init == "xavier" or (init == "auto" and activation in ("tanh", "sigmoid")):
        return math.sqrt(6.0 / (nin + nout))
    return math.sqrt(6.0 / nin)


class Module:
    """Base class: finds parameters in attributes (Values, Modules, and lists of them).

    Subclasses store their parameters and sub-modules as attributes; ``named_parameters``
    walks them in the order they were assigned, so names and order are stable.
    """

    training: bool = True
    #: attribute name -> label stem for the items of a list attribute (default: the name).
    _list_labels: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_labels_after", False):
            cls.__init__ = _labelling_init(init)  # type: ignore[method-assign]

    def __call__(self, x: Any) -> Any:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    # ---------------------------------------------------------------- parameters
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs, e.g. ``("layers.0.neurons.3.w.1", Value)``."""
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            yield from _named(attr, prefix + name)

    def parameters(self) -> list[Value]:
        """Every parameter, in a stable order (micrograd's for ``MLP``)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    # ---------------------------------------------------------------- labels
    def label_parameters(self, prefix: str = "") -> Module:
        """Label every parameter (and the nodes of later forwards) by its place in the model.

        Done automatically when a module is built; call it again after changing the structure.
        ``prefix`` (for example ``"enc"``) is put in front of every label. Returns the module.
        """
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
        self._assign_labels(prefix)
        return self

    def _assign_labels(self, prefix: str) -> None:
        """Label this module's parameters under ``prefix`` (``""`` for the root)."""
        stems = self._list_labels
        for name, attr in vars(self).items():
            if not name.startswith("_"):
                _label(attr, _join(prefix, stems.get(name, name)), in_list=False)

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, float]:
        """Every parameter's number by dotted name (a plain dict, insertion-ordered)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict``).

        A value may be any real number ``Value()`` takes (int, float, NumPy scalars,
        ``Fraction``, ``Decimal``; not bool). All or nothing: a missing, unexpected or
        non-numeric entry, or a number too large for a float, raises ``ValueError`` naming it
        and leaves the module unchanged.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"state must be a mapping of name -> number, got {type(state).__name__}"
            )
        named = dict(self.named_parameters())
        missing = [k for k in named if k not in state]
        unexpected = [k for k in state if k not in named]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s), e.g. {missing[:3]}")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)} parameter(s), e.g. {unexpected[:3]}")
            raise ValueError(
                f"state does not match this {type(self).__name__} "
                f"({len(named)} parameters): {'; '.join(parts)}"
            )
        values = {}
        for name in named:
            v = state[name]
            if type(v) is float:
                values[name] = v
                continue
            try:  # every number Value() takes (NumPy scalars, Fraction, Decimal), not bool
                values[name] = to_float(v, f"parameter {name!r}")
            except TypeError:
                raise ValueError(
                    f"parameter {name!r} must be a number, got {type(v).__name__} {v!r:.60}"
                ) from None
        for name, p in named.items():
            p.data = values[name]

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Put the module (and its sub-modules) in training mode; returns the module."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put the module in evaluation mode (``training = False``); returns the module."""
        return self.train(False)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        yield self
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            items = attr if isinstance(attr, (list, tuple)) else (attr,)
            for item in items:
                if isinstance(item, Module):
                    yield from item.modules()

    # ---------------------------------------------------------------- saving
    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (for ``save``)."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def save(self, path: Any) -> None:
        """Write architecture and parameters to ``path`` as versioned JSON (atomically)."""
        from .io import save

        save(self, path)

    @classmethod
    def load(cls, path: Any, *, max_bytes: int | None = 64 * 2**20) -> Module:
        """Read a model written by ``save``; raises ``ValueError`` if it is not a ``cls``.

        ``max_bytes`` caps the file's size as for :func:`nn.io.load` (``None``: no cap).
        """
        from .io import load

        model = load(path, max_bytes=max_bytes)
        if not isinstance(model, cls):
            raise ValueError(f"{path!s} holds a {type(model).__name__}, not a {cls.__name__}")
        return model


_building = threading.local()  # .depth: how many module __init__s are running in this thread


def _labelling_init(init: Any) -> Any:
    """``init`` followed, for the outermost module being built, by ``label_parameters()``."""

    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        depth = getattr(_building, "depth", 0)
        _building.depth = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            _building.depth = depth
        if depth == 0:
            self._assign_labels("")

    __init__._labels_after = True  # type: ignore[attr-defined]
    return __init__


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _label(attr: Any, label: str, in_list: bool) -> None:
    if isinstance(attr, Value):
        attr.label = label
    elif isinstance(attr, Module):
        attr._assign_labels(label)
    elif isinstance(attr, (list, tuple)):
        sep = "_" if in_list else ""
        for i, item in enumerate(attr):
            _label(item, f"{label}{sep}{i}", in_list=True)


def _named(attr: Any, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(attr, Value):
        yield name, attr
    elif isinstance(attr, Module):
        yield from attr.named_parameters(name + ".")
    elif isinstance(attr, (list, tuple)):
        for i, item in enumerate(attr):
            yield from _named(item, f"{name}.{i}")


@functools.lru_cache(maxsize=64)
def _input_labels(nin: int) -> tuple[str, ...]:
    """``("x0", ..., "x{nin-1}")``, made once per size and shared by every module."""
    return tuple(f"x{i}" for i in range(nin))


def _as_values(x: Any, nin: int, who: str, labels: Sequence[str]) -> list[Value]:
    """Check the size of one input and make every entry a Value (numbers become constants
    labelled from ``labels``: ``x0, x1, ...``)."""
    try:
        n = len(x)
    except TypeError:
        raise TypeError(
            f"{who} expects a sequence of {nin} numbers or Values, got {type(x).__name__}"
        ) from None
    if n != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {n}")
    return [v if type(v) is Value else _lift(v, i, who, labels[i]) for i, v in enumerate(x)]


def _lift(v: Any, i: int, who: str, label: str) -> Value:
    if isinstance(v, Value):
        return v
    try:
        return Value(v, label)
    except TypeError as exc:
        raise TypeError(f"{who}: input {i}: {exc}") from None


class Neuron(Module):
    """``activation(b + w . x)`` with ``nin`` weights, as one ``dot`` node and one activation.

    >>> n = Neuron(3, activation="tanh", seed=0)
    >>> out = n([1.0, 2.0, 3.0])
    >>> out.op, out.parents[0].op
    ('tanh', 'dot')
    """

    def __init__(
        self,
        nin: int,
        activation: Any = "relu",
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        init: str = "auto",
        nout: int = 1,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        act = activation if isinstance(activation, Activation) else get_activation(activation)
        self.activation = _spec(act)
        limit = _init_limit(init, self.activation, nin, _check_size(nout, "nout"))
        r = _make_rng(seed, rng)
        self.w = [Value(r.uniform(-limit, limit), f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self._act, self._act_float = act.on_value, act.on_float
        self._x_labels = _input_labels(nin)
        self._z_label, self._out_label = "z", "out"

    def _assign_labels(self, prefix: str) -> None:
        p = prefix + "." if prefix else ""
        for j, w in enumerate(self.w):  # the generic walk, written out: there are many of these
            w.label = f"{p}w{j}"
        self.b.label = p + "b"
        self._z_label = p + "z"
        self._out_label = p + "out"
        for name, attr in vars(self).items():  # a subclass's own parameters
            if name not in ("w", "b") and not name.startswith("_"):
                _label(attr, p + name, in_list=False)

    def __getstate__(self) -> dict[str, Any]:
        # The activation functions are found again by name: they are not picklable themselves.
        state = dict(vars(self))
        del state["_act"], state["_act_float"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        act = get_activation(self.activation)
        self._act, self._act_float = act.on_value, act.on_float

    def __call__(self, x: Sequence[Any]) -> Value:
        """The neuron's output for one input of ``nin`` numbers or Values."""
        return self._forward(_as_values(x, self.nin, "Neuron", self._x_labels))

    def _forward(self, x: list[Value]) -> Value:
        # The hot path of training: the labels are precomputed strings (one write per node).
        out = dot(self.w, x, self.b)
        act = self._act
        if act is None:
            out.label = self._out_label
            return out
        out.label = self._z_label
        out = act(out)
        out.label = self._out_label
        return out

    def _forward_floats(self, x: Sequence[float]) -> float:
        s = sum(map(float.__mul__, [w.data for w in self.w], x), self.b.data)
        act = self._act_float
        return s if act is None else act(s)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        shown = repr(self.activation) if isinstance(self.activation, str) else _text(
            self.activation)
        return f"Neuron({self.nin}, activation={shown})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs.

    Returns a list of ``nout`` Values, or the Value itself when ``nout == 1`` (as micrograd).
    """

    _list_labels: ClassVar[dict[str, str]] = {"neurons": "n"}

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Any = "relu",
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        init: str = "auto",
    ) -> None:
        self.nin = _check_size(nin, "nin")
        self.nout = _check_size(nout, "nout")
        act = activation if isinstance(activation, Activation) else get_activation(activation)
        self.activation = _spec(act)
        r = _make_rng(seed, rng)
        self.neurons = [Neuron(nin, act, rng=r, init=init, nout=nout) for _ in range(nout)]
        self._x_labels = _input_labels(nin)

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = self._forward(_as_values(x, self.nin, "Layer", self._x_labels))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: list[Value]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def _forward_floats(self, x: Sequence[float]) -> list[float]:
        return [n._forward_floats(x) for n in self.neurons]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {_text(self.activation)})"


class MLP(Module):
    """A multilayer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    Hidden layers use ``activation`` (relu by default); the last layer uses
    ``output_activation`` (linear by default). ``model(x)`` takes ``nin`` numbers or Values
    and returns a ``Value`` when the last layer has one output, else a list of Values.

    >>> model = MLP(2, [4, 1], seed=0)
    >>> model
    MLP(2 -> 4 -> 1, relu, output linear, 17 parameters)
    >>> round(model([0.5, -1.0]).data, 6) == round(model.predict_one([0.5, -1.0]), 6)
    True
    >>> [name for name, _ in model.named_parameters()][:3]
    ['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
    >>> [p.label for p in model.parameters()][:3]
    ['L0.n0.w0', 'L0.n0.w1', 'L0.n0.b']
    """

    _list_labels: ClassVar[dict[str, str]] = {"layers": "L"}

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Any = "relu",
        *,
        output_activation: Any = "linear",
        seed: int | None = None,
        rng: random.Random | None = None,
        init: str = "auto",
    ) -> None:
        self.nin = _check_size(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [nin] + [_check_size(s, f"layer size #{i}") for i, s in enumerate(nouts)]
        self.sizes = sizes[1:]
        hidden = get_activation(activation)
        output = get_activation(output_activation)
        self.activation = _spec(hidden)
        self.output_activation = _spec(output)
        r = _make_rng(seed, rng)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output if i == last else hidden, rng=r, init=init)
            for i in range(len(nouts))
        ]
        self._x_labels = _input_labels(nin)

    @property
    def nout(self) -> int:
        """Number of outputs."""
        return self.sizes[-1]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        """Forward one input: ``nin`` numbers or Values -> a Value (one output) or a list."""
        h = _as_values(x, self.nin, "MLP", self._x_labels)
        for layer in self.layers:
            h = layer._forward(h)
        return h[0] if len(h) == 1 else h

    def predict_one(self, x: Sequence[Any]) -> float | list[float]:
        """The output for one input on plain floats, recording no graph (fast inference).

        Computes exactly what ``model(x)`` computes, in the same order, without Values.
        """
        try:
            n = len(x)
        except TypeError:
            raise TypeError(
                f"MLP expects a sequence of {self.nin} numbers, got {type(x).__name__}"
            ) from None
        if n != self.nin:
            raise ValueError(f"MLP expects {self.nin} inputs, got {n}")
        h = [v if type(v) is float else _float_input(v, i) for i, v in enumerate(x)]
        for layer in self.layers:
            h = layer._forward_floats(h)
        return h[0] if len(h) == 1 else h

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __repr__(self) -> str:
        shape = " -> ".join(str(s) for s in [self.nin, *self.sizes])
        return (
            f"MLP({shape}, {_text(self.activation)}, output {_text(self.output_activation)}, "
            f"{self.num_parameters()} parameters)"
        )

    def describe(self) -> str:
        """A multi-line view of the structure, one line per layer."""
        lines = [repr(self)]
        for i, layer in enumerate(self.layers):
            n = layer.nout * (layer.nin + 1)
            lines.append(f"  (layers.{i}): {layer!r}: {layer.nout} neurons, {n} parameters")
        return "\n".join(lines)


def _float_input(v: Any, i: int) -> float:
    if isinstance(v, Value):
        return v.data
    return to_float(v, f"MLP input {i}")


__all__ = ["ACTIVATIONS", "MLP", "Activation", "Layer", "Module", "Neuron", "get_activation"]

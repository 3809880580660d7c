"""Saving and loading models as versioned JSON: exact, atomic, and never executing code.

The file holds the architecture (class name and constructor arguments) and every parameter by
its dotted name. Floats are written with ``repr``, which reads back to the same bits; the
non-finite numbers are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``. Saving
writes a temporary file in the same folder and renames it over the target, so the target is
always either the old file or the complete new one. Loading is plain ``json`` (no pickle) and
checks everything before building the model; any problem raises ``ValueError``.

>>> import os, tempfile
>>> from nn import MLP, load
>>> model = MLP(2, [3, 1], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> model.save(path)
>>> load(path).state_dict() == model.state_dict()
True
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from autograd_core.files import atomic_write

from .module import MLP, Layer, Module, Neuron

FORMAT = "autograd-core/nn-model"
VERSION = 1
ARCHITECTURES: dict[str, type[Module]] = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# --------------------------------------------------------------------------- writing
def _encode(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def to_json(model: Module) -> str:
    """The saved form of ``model`` as a JSON string."""
    if not isinstance(model, Module):
        raise TypeError(f"can only save an nn Module, got {type(model).__name__}")
    kind = type(model).__name__
    if ARCHITECTURES.get(kind) is not type(model):
        raise TypeError(f"saving a {kind} is not supported; save an MLP, Layer or Neuron")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"type": kind, "config": model.config()},
        "parameters": {name: _encode(p.data) for name, p in model.named_parameters()},
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def save(model: Module, path: Any) -> None:
    """Write ``model`` to ``path`` (versioned JSON, atomically: the old file survives a crash)."""
    atomic_write(path, to_json(model))


# --------------------------------------------------------------------------- reading
def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _decode(value: Any, name: str, where: str) -> float:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"parameter {name!r} is {value!r:.60}, not a number (corrupted file?)")
    return float(value)


def from_json(text: str | bytes, where: str = "<string>") -> Module:
    """Build the model described by ``text`` (as written by :func:`to_json`)."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(where, f"not a saved model: the JSON is invalid or truncated ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _fail(where, f"not a saved model: no {FORMAT!r} format marker")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise _fail(
            where, f"unsupported format version {version!r}; this library reads version {VERSION}"
        )
    arch = document.get("architecture")
    if not isinstance(arch, dict) or not isinstance(arch.get("config"), dict):
        raise _fail(where, "the 'architecture' entry is missing or malformed")
    kind = arch.get("type")
    if kind not in ARCHITECTURES:
        raise _fail(
            where, f"unknown architecture type {kind!r}; expected one of {list(ARCHITECTURES)}"
        )
    config = arch["config"]
    params = document.get("parameters")
    if not isinstance(params, dict):
        raise _fail(where, "the 'parameters' entry is missing or not an object")
    try:
        expected = _count(kind, config)
    except (TypeError, ValueError) as exc:
        raise _fail(where, f"invalid {kind} architecture {config!r:.200}: {exc}") from None
    if expected != len(params):
        raise _fail(
            where,
            f"the architecture {config!r:.200} has {expected} parameters but the file holds "
            f"{len(params)} (mismatched or corrupted file)",
        )
    try:
        model = _build(kind, config)
    except (TypeError, ValueError) as exc:
        raise _fail(where, f"invalid {kind} architecture {config!r:.200}: {exc}") from None
    state = {name: _decode(value, name, where) for name, value in params.items()}
    try:
        model.load_state_dict(state)
    except ValueError as exc:
        raise _fail(where, f"parameters do not match the architecture: {exc}") from None
    return model


def _size(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ValueError(f"{what} must be a positive int, got {x!r:.40}")
    return x


def _count(kind: str, config: dict[str, Any]) -> int:
    """How many parameters the architecture has, computed before building anything."""
    nin = _size(config.get("nin"), "nin")
    if kind == "Neuron":
        return nin + 1
    if kind == "Layer":
        return _size(config.get("nout"), "nout") * (nin + 1)
    sizes = config.get("nouts")
    if not isinstance(sizes, list) or not sizes:
        raise ValueError("nouts must be a non-empty list of layer sizes")
    total = 0
    for i, size in enumerate(sizes):
        total += _size(size, f"layer size #{i}") * (nin + 1)
        nin = size
    return total


def _build(kind: str, config: dict[str, Any]) -> Module:
    # Only the known constructor arguments, each checked by the constructor itself.
    if kind == "MLP":
        allowed = {"nin", "nouts", "activation", "output_activation"}
        required = {"nin", "nouts"}
    elif kind == "Layer":
        allowed = required = {"nin", "nout", "activation"}
    else:
        allowed = required = {"nin", "activation"}
    unknown = set(config) - allowed
    missing = required - set(config)
    if unknown or missing:
        raise ValueError(f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    if kind == "MLP" and not isinstance(config["nouts"], list):
        raise ValueError("nouts must be a list of layer sizes")
    return ARCHITECTURES[kind](**config, seed=0)


def load(path: Any) -> Module:
    """Read a model written by :func:`save`. Raises ``ValueError`` for a file that is not a
    complete, valid model of a supported version; the file itself is never modified."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    return from_json(data, path)


__all__ = ["FORMAT", "VERSION", "atomic_write", "from_json", "load", "save", "to_json"]

"""Saving and loading models as versioned JSON: exact, atomic, and never executing code.

The file holds the architecture (class name and constructor arguments, activations by name:
``"gelu"``, ``"leaky_relu(slope=0.2)"``, or the name of your own op, which must be registered
with ``primitive()`` again before loading) and every parameter by its dotted name. Floats
are written with ``repr``, which reads back to the same bits; the non-finite numbers are
written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``. Saving
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

import errno
import itertools
import json
import math
import os
import stat
from collections.abc import Iterator
from typing import Any

from autograd_core.files import _kind, atomic_write

from .keras import Sequential
from .module import MLP, Layer, Module, Neuron, get_activation

FORMAT = "autograd-core/nn-model"
VERSION = 1
ARCHITECTURES: dict[str, type[Module]] = {
    "MLP": MLP, "Layer": Layer, "Neuron": Neuron, "Sequential": Sequential,
}
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
        raise TypeError(
            f"saving a {kind} is not supported; save an MLP, Sequential, Layer or Neuron"
        )
    _check_saveable(model)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"type": kind, "config": model.config()},
        "parameters": {name: _encode(p.data) for name, p in model.named_parameters()},
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def _check_saveable(model: Module) -> None:
    """Refuse a model whose activations a file cannot name (a lambda, an unregistered op):
    the file records activations by name, and loading finds them again by that name."""
    for where, module in _named_modules(model):
        for key in ("activation", "output_activation"):
            spec = vars(module).get(key)
            if spec is None or isinstance(spec, str):
                continue
            name = getattr(spec, "__qualname__", None) or getattr(spec, "name", None)
            raise ValueError(
                f"cannot save this {type(model).__name__}: the {key} of {where} is "
                f"{name or type(spec).__name__}, which has no registered name; a saved model "
                "records activations by name. Define it with primitive('name', forward, rule) "
                "(and import that definition before loading), or use a built-in one"
            )


def _named_modules(model: Module) -> Iterator[tuple[str, Module]]:
    yield "the model", model
    if isinstance(model, MLP):
        for i, layer in enumerate(model.layers):
            yield f"layers.{i}", layer
            for j, neuron in enumerate(layer.neurons):
                yield f"layers.{i}.neurons.{j}", neuron
    elif isinstance(model, Layer):
        for j, neuron in enumerate(model.neurons):
            yield f"neurons.{j}", neuron


def save(model: Module, path: Any) -> None:
    """Write ``model`` to ``path`` (versioned JSON, atomically: the old file survives a crash)."""
    atomic_write(path, to_json(model))


# --------------------------------------------------------------------------- reading
DEFAULT_MAX_BYTES = 64 * 2**20
"""The largest file :func:`load` reads unless told otherwise: 64 MiB, about a million
parameters (a saved parameter takes 40 to 60 bytes). Pass ``max_bytes=`` to change it."""

_MAX_INT_DIGITS = 400  # more digits than any float has (1.8e308): refused without int()


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _brief(x: Any, limit: int = 60) -> str:
    """``repr(x)`` cut to ``limit`` characters, for quoting a file's content in an error."""
    try:
        text = repr(x)
    except (RecursionError, ValueError):  # nested too deeply, or an int too long to print
        return f"<a {type(x).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Literal:
    """A number as the file spells it that this format never writes: a bare ``NaN`` or
    ``Infinity`` (not JSON), ``1e999`` (beyond float range) or an integer of 5000 digits.
    The parser puts one in place of the number; whoever meets it refuses the file."""

    __slots__ = ("text", "why")

    def __init__(self, text: str, why: str) -> None:
        self.text = text
        self.why = why

    def __repr__(self) -> str:
        return self.text


_SPECIAL_HINT = 'this format writes special values as the strings "nan", "inf" and "-inf"'


def _parse_constant(text: str) -> _Literal:
    return _Literal(text, f"which is not JSON ({_SPECIAL_HINT})")


def _parse_float(text: str) -> float | _Literal:
    x = float(text)
    if math.isfinite(x):
        return x
    shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
    return _Literal(shown, f"which is beyond the range of a float ({_SPECIAL_HINT})")


def _parse_int(text: str) -> int | _Literal:
    digits = len(text) - text.startswith("-")
    if digits > _MAX_INT_DIGITS:
        return _Literal(f"an integer of {digits} digits", "too large for a float")
    return int(text)


def _parse(text: str | bytes, where: str) -> Any:
    try:
        return json.loads(
            text,
            parse_constant=_parse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except RecursionError:
        raise _fail(where, "not a saved model: the JSON is nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(where, f"not a saved model: the JSON is invalid or truncated ({exc})") from None
    except ValueError as exc:  # anything else the parser refuses
        what = type(exc).__name__
        raise _fail(where, f"not a saved model: the JSON is invalid ({what})") from None


def _decode(value: Any, name: str, where: str) -> float:
    if type(value) is float:
        return value
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, _Literal):
        raise _fail(where, f"parameter {name!r} is {value.text}, {value.why}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(
            where, f"parameter {name!r} is {_brief(value)}, not a number (corrupted file?)"
        )
    try:
        return float(value)
    except OverflowError:
        raise _fail(
            where, f"parameter {name!r} is an integer of {len(str(abs(value)))} digits, too "
            "large for a float"
        ) from None


def from_json(text: str | bytes, where: str = "<string>") -> Module:
    """Build the model described by ``text`` (as written by :func:`to_json`).

    Everything is checked before the model is built, cheapest first: the format marker and
    version, the architecture (type, keys, activations, sizes), its parameter count and every
    parameter's name (computed from the architecture, without building it), then every value.
    Any problem raises ``ValueError`` starting with ``where``.
    """
    document = _parse(text, where)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _fail(where, f"not a saved model: no {FORMAT!r} format marker")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise _fail(
            where,
            f"unsupported format version {_brief(version)}; this library reads version {VERSION}",
        )
    arch = document.get("architecture")
    if not isinstance(arch, dict) or not isinstance(arch.get("config"), dict):
        raise _fail(where, "the 'architecture' entry is missing or malformed")
    kind = arch.get("type")
    if not isinstance(kind, str) or kind not in ARCHITECTURES:
        raise _fail(
            where,
            f"unknown architecture type {_brief(kind)}; expected one of {list(ARCHITECTURES)}",
        )
    config = arch["config"]
    params = document.get("parameters")
    if not isinstance(params, dict):
        raise _fail(where, "the 'parameters' entry is missing or not an object")
    try:
        sizes = _layer_sizes(kind, config)
    except ValueError as exc:
        raise _fail(where, f"invalid {kind} architecture {_brief(config, 200)}: {exc}") from None
    expected = _count(sizes)
    if expected != len(params):
        raise _fail(
            where,
            f"the architecture {_brief(config, 200)} has {_amount(expected)} parameters but the "
            f"file holds {len(params)} (mismatched or corrupted file)",
        )
    _check_names(kind, sizes, params, where)
    state = {name: _decode(value, name, where) for name, value in params.items()}
    try:
        model = _build(kind, config)
        model.load_state_dict(state)
    except (TypeError, ValueError) as exc:  # pragma: no cover - the checks above rule it out
        raise _fail(where, f"invalid {kind} architecture {_brief(config, 200)}: {exc}") from None
    return model


_KEYS = {  # kind: (allowed config keys, required ones)
    "MLP": ({"nin", "nouts", "activation", "output_activation"}, {"nin", "nouts"}),
    "Layer": ({"nin", "nout", "activation"}, {"nin", "nout", "activation"}),
    "Neuron": ({"nin", "activation"}, {"nin", "activation"}),
    "Sequential": ({"nin", "layers"}, {"nin", "layers"}),
}


def _size(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ValueError(f"{what} must be a positive int, got {_brief(x, 40)}")
    return x


def _layer_sizes(kind: str, config: dict[str, Any]) -> list[int]:
    """Check ``config`` without building anything; the widths ``[nin, out1, out2, ...]``."""
    allowed, required = _KEYS[kind]
    unknown = set(config) - allowed
    missing = required - set(config)
    if unknown or missing:
        raise ValueError(
            f"unknown keys {_brief(sorted(unknown))}, missing keys {sorted(missing)}"
        )
    if kind == "Sequential":
        return _sequential_sizes(config)
    for key in ("activation", "output_activation"):
        if key in config:
            _check_activation(config[key], key)
    nin = _size(config["nin"], "nin")
    if kind == "Neuron":
        return [nin, 1]
    if kind == "Layer":
        return [nin, _size(config["nout"], "nout")]
    nouts = config["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise ValueError("nouts must be a non-empty list of layer sizes")
    return [nin] + [_size(s, f"nouts[{i}]") for i, s in enumerate(nouts)]


def _check_activation(act: Any, key: str, softmax: bool = False) -> None:
    if not isinstance(act, str):
        raise ValueError(f"the {key} must be a name, got {_brief(act, 40)}")
    if softmax and act == "softmax":
        return
    try:
        get_activation(act)
    except ValueError:
        raise ValueError(
            f"unknown {key} {_brief(act, 80)}: no op of one input of that name is "
            "registered here; if it is your own op, import the code that defines it "
            "with primitive() before loading"
        ) from None


def _sequential_sizes(config: dict[str, Any]) -> list[int]:
    layers = config["layers"]
    if not isinstance(layers, list) or not layers:
        raise ValueError("layers must be a non-empty list of {'units', 'activation'}")
    sizes = [_size(config["nin"], "nin")]
    for i, spec in enumerate(layers):
        if not isinstance(spec, dict) or set(spec) != {"units", "activation"}:
            raise ValueError(f"layers[{i}] must be {{'units': n, 'activation': name}}, got "
                             f"{_brief(spec, 80)}")
        _check_activation(spec["activation"], f"activation of layers[{i}]",
                          softmax=i == len(layers) - 1)
        sizes.append(_size(spec["units"], f"layers[{i}].units"))
    return sizes


def _count(sizes: list[int]) -> int:
    """How many parameters layers of these widths have (weights and a bias per neuron)."""
    return sum(nout * (nin + 1) for nin, nout in itertools.pairwise(sizes))


def _amount(n: int) -> str:
    return str(n) if n < 10**18 else f"about 10^{len(str(n)) - 1}"


def _index(text: str, bound: int) -> int | None:
    """``int(text)`` if ``text`` is how we write an index below ``bound``, else None."""
    if not (text.isascii() and text.isdigit()) or (text[0] == "0" and text != "0"):
        return None
    if len(text) > len(str(bound)):
        return None
    n = int(text)
    return n if n < bound else None


def _known_name(kind: str, sizes: list[int], name: str) -> bool:
    """Whether ``name`` is one of the parameter names of this architecture (as the modules
    name them: ``layers.{i}.neurons.{j}.w.{k}`` / ``...b``, without the prefix for a Layer
    or a Neuron)."""
    parts = name.split(".", 6)
    if kind in ("MLP", "Sequential"):
        if len(parts) < 5 or parts[0] != "layers" or parts[2] != "neurons":
            return False
        i = _index(parts[1], len(sizes) - 1)
        if i is None:
            return False
        rest, nin, nout = parts[3:], sizes[i], sizes[i + 1]
    elif kind == "Layer":
        if parts[0] != "neurons":
            return False
        rest, (nin, nout) = parts[1:], sizes
    else:
        rest, nin, nout = ["0", *parts], sizes[0], 1
    if _index(rest[0], nout) is None:
        return False
    if rest[1:] == ["b"]:
        return True
    return len(rest) == 3 and rest[1] == "w" and _index(rest[2], nin) is not None


def _names(kind: str, sizes: list[int]) -> Iterator[str]:
    """Every parameter name of the architecture, in the modules' order."""
    layers = range(len(sizes) - 1) if kind in ("MLP", "Sequential") else range(1)
    for i in layers:
        nin, nout = sizes[i], sizes[i + 1]
        prefix = {"MLP": f"layers.{i}.neurons.", "Sequential": f"layers.{i}.neurons.",
                  "Layer": "neurons.", "Neuron": ""}[kind]
        for j in range(nout):
            neuron = f"{prefix}{j}." if kind != "Neuron" else ""
            for k in range(nin):
                yield f"{neuron}w.{k}"
            yield f"{neuron}b"


def _check_names(kind: str, sizes: list[int], params: dict[str, Any], where: str) -> None:
    """Every name must be one of the architecture's; with the count equal, none is missing."""
    if all(map(str.__eq__, params, _names(kind, sizes))):
        return  # the order save() writes: checked without parsing a name
    unknown = [name for name in params if not _known_name(kind, sizes, name)]
    if not unknown:
        return
    missing = []
    for name in _names(kind, sizes):
        if name not in params:
            missing.append(name)
            if len(missing) == 3:
                break
    shown = ", ".join(_brief(n, 80) for n in unknown[:3])
    raise _fail(
        where,
        f"parameters do not match the {kind} architecture: {len(unknown)} unexpected "
        f"parameter name(s), e.g. {shown}; missing e.g. {', '.join(map(repr, missing))}",
    )


def _build(kind: str, config: dict[str, Any]) -> Module:
    # Only the known constructor arguments, checked by _layer_sizes and again by the class.
    if kind == "Sequential":
        return Sequential.from_config(config)
    return ARCHITECTURES[kind](**config, seed=0)


def _read(path: str, max_bytes: int | None) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else or anything larger
    than ``max_bytes`` before reading it."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    kind = _kind(st.st_mode)
    if kind is not None:
        raise _fail(path, f"it is {kind}, not a regular file; a saved model is a regular file")
    limit = _limit_text(max_bytes)
    if max_bytes is not None and st.st_size > max_bytes:
        raise _fail(path, _too_big(st.st_size, limit))
    # O_NONBLOCK: if a FIFO was swapped in since the stat, opening it must not wait.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise _fail(path, f"it is {kind}, not a regular file; a saved model is a regular file")
        if max_bytes is None:
            return f.read()
        # Read what the stat promised (read(n) sets n bytes aside at once), then in small
        # steps in case the file grows meanwhile, never more than max_bytes + 1 in all.
        chunks = [f.read(st.st_size + 1)]
        total = len(chunks[0])
        while total <= max_bytes and len(chunks[-1]) > 0 and total > st.st_size:
            chunks.append(f.read(min(2**20, max_bytes + 1 - total)))
            total += len(chunks[-1])
    if total > max_bytes:  # it grew after the stat
        raise _fail(path, _too_big(total, limit, more=True))
    return b"".join(chunks)


def _limit_text(max_bytes: int | None) -> str:
    if max_bytes is None:
        return "no"
    return f"{max_bytes // 2**20} MiB" if max_bytes % 2**20 == 0 else f"{max_bytes:,} bytes"


def _too_big(size: int, limit: str, more: bool = False) -> str:
    return (
        f"the file is {'more than ' if more else ''}{size:,} bytes, larger than the {limit} "
        "limit for a saved model; pass max_bytes= a larger number (or None) to load it anyway"
    )


def load(path: Any, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Module:
    """Read a model written by :func:`save`.

    Only a regular file of at most ``max_bytes`` bytes is read (default
    :data:`DEFAULT_MAX_BYTES`, 64 MiB; ``None`` for no limit); a FIFO, socket or device is
    refused without waiting on it. Raises ``ValueError`` naming the file (and the parameter)
    for a file that is not a complete, valid model of a supported version, before building
    anything; ``OSError`` if it cannot be opened (missing, a directory, no permission). The
    file itself is never modified.
    """
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
            raise TypeError(
                f"max_bytes must be a positive int or None, got {type(max_bytes).__name__}"
            )
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive int or None, got {max_bytes}")
    where = os.fsdecode(os.fspath(path))
    return from_json(_read(where, max_bytes), where)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMAT",
    "VERSION",
    "atomic_write",
    "from_json",
    "load",
    "save",
    "to_json",
]

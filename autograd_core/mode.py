"""Recording modes: whether ops record a graph, and whether anomaly checks run.

The mode lives in a :class:`contextvars.ContextVar`, so ``no_grad()`` in one thread (or
asyncio task) never switches recording off in another. Ops read the mode once per call and
take the fast path when it is :data:`DEFAULT`, so the checks below cost nothing when unused.
"""

from __future__ import annotations

import contextvars
from contextlib import AbstractContextManager, ContextDecorator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Mode:
    """The recording state of the current context."""

    grad_enabled: bool = True
    anomaly: bool = False


DEFAULT = Mode()
_mode: contextvars.ContextVar[Mode] = contextvars.ContextVar("autograd_core_mode", default=DEFAULT)
current = _mode.get


def _canonical(mode: Mode) -> Mode:
    # Keep the identity check on the hot path exact: the default state is always DEFAULT.
    return DEFAULT if mode == DEFAULT else mode


class _ModeChange(ContextDecorator):
    """A change of mode for the length of a ``with`` block (or a decorated function).

    One object can be entered again, also nested (``ng = no_grad(); with ng: ... with ng:``),
    as PyTorch's can; the previous mode comes back on exit, even after an exception.
    """

    def __init__(self, **changes: bool) -> None:
        self._changes = changes
        self._tokens: list[contextvars.Token[Mode]] = []

    def __enter__(self) -> None:
        self._tokens.append(_mode.set(_canonical(replace(_mode.get(), **self._changes))))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._tokens.pop())


_set = _ModeChange


def no_grad() -> AbstractContextManager[None]:
    """Run ops without recording a graph: results are leaves, as in ``torch.no_grad``.

    >>> from autograd_core import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.is_leaf
    True
    """
    return _set(grad_enabled=False)


def enable_grad() -> AbstractContextManager[None]:
    """Record a graph again inside a ``no_grad()`` block."""
    return _set(grad_enabled=True)


def is_grad_enabled() -> bool:
    """True when ops in this context record their parents."""
    return _mode.get().grad_enabled


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise ``FloatingPointError`` at the first op whose value or gradient is NaN or infinite.

    The error names the op, its inputs and the file and line where the node was created.
    Off by default; when off it costs nothing.

    >>> from autograd_core import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(0.0) * float("inf")   # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FloatingPointError: op '*' produced nan ...
    """
    return _set(anomaly=True)


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _mode.get().anomaly


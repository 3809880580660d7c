"""Recording modes: whether ops record a graph, and whether anomaly checks run.

The mode lives in a :class:`contextvars.ContextVar`, so ``no_grad()`` in one thread (or
asyncio task) never switches recording off in another. Ops read the mode once per call and
take the fast path when it is :data:`DEFAULT`, so the checks below cost nothing when unused.

What a ``with`` block found on entry is kept per context too (a second ContextVar holds the
stack of open blocks), never on the mode object: one ``no_grad()`` object can be shared by any
number of threads and tasks, used as a decorator, and entered again while it is open.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar


@dataclass(frozen=True)
class Mode:
    """The recording state of the current context."""

    grad_enabled: bool = True
    anomaly: bool = False


DEFAULT = Mode()
_mode: contextvars.ContextVar[Mode] = contextvars.ContextVar("autograd_core_mode", default=DEFAULT)
current = _mode.get

# The open blocks of this context, innermost first, as a linked list of
# (mode change, mode found on entry, rest). Immutable, so a task or thread that copies the
# context copies a snapshot, and a block's exit restores what *its own* entry found.
_Open = tuple[Any, Mode, Any]
_open: contextvars.ContextVar[_Open | None] = contextvars.ContextVar(
    "autograd_core_open_modes", default=None
)

F = TypeVar("F", bound=Callable[..., Any])


def _canonical(mode: Mode) -> Mode:
    # Keep the identity check on the hot path exact: the default state is always DEFAULT.
    return DEFAULT if mode == DEFAULT else mode


class _ModeChange:
    """A change of mode for the length of a ``with`` block, or of each call of a decorated function.

    The object holds no state of its own: what each entry found is saved in the current
    context, so one object can be entered from many threads and asyncio tasks at once, nested
    (``ng = no_grad(); with ng: ... with ng:``), and used as a decorator; each exit restores
    exactly the mode its entry found, even after an exception.
    """

    __slots__ = ("_changes",)

    def __init__(self, **changes: bool) -> None:
        self._changes = changes

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self._changes.items())
        return f"<mode change {args}>"

    def __enter__(self) -> None:
        found = _mode.get()
        _open.set((self, found, _open.get()))
        _mode.set(_canonical(replace(found, **self._changes)))

    def __exit__(self, *exc: object) -> None:
        top = _open.get()
        if top is not None and top[0] is self:  # the usual case: blocks close in order
            _open.set(top[2])
            _mode.set(top[1])
            return
        # Blocks closed out of order (a generator suspended inside a block, say): take this
        # object's innermost entry out of the stack and apply the changes of the blocks still
        # open again, oldest first, to what the oldest one found. So this exit removes exactly
        # its own change (a no_grad() closed inside detect_anomaly() turns recording back on,
        # as in PyTorch), and the blocks above it restore the recomputed modes when they close.
        entries: list[_Open] = []
        entry = top
        while entry is not None:
            entries.append(entry)
            entry = entry[2]
        mine = next((i for i, e in enumerate(entries) if e[0] is self), None)
        if mine is None:
            raise RuntimeError(
                f"{self!r} is closed in a context (thread or asyncio task) it was not "
                "entered in; enter and leave a mode in the same thread or task"
            )
        mode = entries[-1][1]  # what the oldest open block found
        del entries[mine]
        rest: _Open | None = None
        for owner, _, _ in reversed(entries):
            rest = (owner, mode, rest)
            mode = _canonical(replace(mode, **owner._changes))
        _open.set(rest)
        _mode.set(mode)

    def __call__(self, func: F) -> F:
        """Decorate ``func`` so that each call runs in this mode (also generators, coroutines)."""
        if not callable(func):
            raise TypeError(
                f"a mode decorates a function, got {type(func).__name__}; "
                "to open a block, write `with no_grad():`"
            )
        if inspect.isasyncgenfunction(func):
            raise TypeError(
                f"cannot decorate the async generator function {func.__qualname__}; "
                "open the block inside it with `with ...:` instead"
            )
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_coroutine(*args: Any, **kwargs: Any) -> Any:
                with self:  # a task has its own context, so the mode holds across awaits
                    return await func(*args, **kwargs)

            return run_coroutine  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def run_generator(*args: Any, **kwargs: Any) -> Any:
                # The body runs in this mode each time it is resumed, and the caller's own
                # mode is back whenever the generator has yielded (as PyTorch does).
                with self:
                    gen = func(*args, **kwargs)
                try:
                    with self:
                        item = gen.send(None)
                    while True:
                        try:
                            sent = yield item
                        except GeneratorExit:
                            with self:
                                gen.close()
                            raise
                        except BaseException as exc:
                            with self:
                                item = gen.throw(exc)
                        else:
                            with self:
                                item = gen.send(sent)
                except StopIteration as stop:
                    return stop.value

            return run_generator  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]


_set = _ModeChange


def no_grad() -> _ModeChange:
    """Run ops without recording a graph: results are leaves, as in ``torch.no_grad``.

    Works as a ``with`` block and as a decorator; one object may be shared between threads.

    >>> from autograd_core import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.is_leaf
    True
    """
    return _set(grad_enabled=False)


def enable_grad() -> _ModeChange:
    """Record a graph again inside a ``no_grad()`` block (a ``with`` block or a decorator)."""
    return _set(grad_enabled=True)


def is_grad_enabled() -> bool:
    """True when ops in this context record their parents."""
    return _mode.get().grad_enabled


def detect_anomaly() -> _ModeChange:
    """Raise ``FloatingPointError`` at the first op whose value or gradient is NaN or infinite.

    The error names the op, its inputs and the file and line where the node was created.
    Off by default; when off it costs nothing. A ``with`` block or a decorator.

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

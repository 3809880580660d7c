"""Writing files so that a crash never leaves one half-written (used by nn, viz and the CLI).

:func:`atomic_write` writes a temporary file next to the target and renames it over the target,
so the target is always either the old file or the complete new one. It never destroys what
sits at the path: a symlink is followed (the file it points to is replaced, in its own folder);
a FIFO, socket or device is refused with :class:`UnsafePathError`, a directory with
``IsADirectoryError`` and a read-only file with ``PermissionError``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

try:  # POSIX: a lock on the temporary file tells a live writer from a killed one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MAX_SYMLINKS = 40  # as Linux: more links than this in a row is a loop
STALE_SECONDS = 3600.0  # without file locks (Windows), a leftover older than this is abandoned
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class UnsafePathError(OSError, ValueError):
    """The path names something :func:`atomic_write` will not replace: nothing (an empty
    path), a FIFO, a socket or a device. Both an ``OSError`` (like what ``open()`` raises) and
    a ``ValueError`` (bad input), so either ``except`` catches it."""


def _default_mode() -> int:
    mask = os.umask(0o022)  # read the umask (there is no other portable way) and put it back
    os.umask(mask)
    return 0o666 & ~mask


def _kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is, in words; None for a regular file."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    return "not a regular file"  # pragma: no cover - doors, whiteouts, ...


def _follow(path: Path) -> Path:
    """The path that a write to ``path`` would really create or replace: symlinks in the last
    component are followed, chains too (``ELOOP`` after :data:`MAX_SYMLINKS`).

    As Linux does with ``fs.protected_symlinks``, a link in a sticky world-writable folder
    (``/tmp``) is followed only by its owner or when the folder's owner owns it: anyone else
    (root included) gets ``PermissionError``, so a link planted there by another user cannot
    make us replace the file it points to.
    """
    real = path
    for _ in range(MAX_SYMLINKS):
        try:
            target = os.readlink(real)
        except OSError:  # not a symlink, or nothing there: this is the file
            return real
        _check_link_owner(path, real)
        # A relative target is relative to the link's folder; ``..`` is left to the OS.
        real = real.parent / target
    raise OSError(errno.ELOOP, "too many levels of symbolic links (a loop?)", str(path))


def _check_link_owner(path: Path, link: Path) -> None:
    """Refuse to follow ``link`` where the kernel's ``protected_symlinks`` rule would."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows
        return
    try:
        link_st = os.lstat(link)
        folder_st = os.stat(link.parent)
    except OSError:
        return  # gone meanwhile: the write itself will say what is wrong
    sticky_and_open = (folder_st.st_mode & stat.S_ISVTX) and (folder_st.st_mode & stat.S_IWOTH)
    if not sticky_and_open or link_st.st_uid in (os.geteuid(), folder_st.st_uid):
        return
    shown = str(path) if link == path else f"{path} (-> {link})"
    raise PermissionError(
        errno.EACCES,
        f"it is a symbolic link owned by another user (uid {link_st.st_uid}) in a shared "
        f"sticky folder ({link.parent}); refusing to follow it, as the system refuses "
        "(fs.protected_symlinks)",
        shown,
    )


#: The longest file name most file systems take, in bytes.
NAME_MAX = 255
# What mkstemp adds to our prefix: 8 random characters, then the suffix.
_TEMP_EXTRA = 8 + len(".tmp")


def _temp_prefix(name: str) -> str:
    """The prefix of our temporary files for target ``name``: ``.{name}.``, or for a name too
    long to carry that (a valid 250-byte name), the start of the name and a hash of all of it,
    ``.{start}~{hash}.``, so the temporary name fits in :data:`NAME_MAX` bytes."""
    prefix = f".{name}."
    if len(os.fsencode(prefix)) + _TEMP_EXTRA <= NAME_MAX:
        return prefix
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
    room = NAME_MAX - _TEMP_EXTRA - len(f"..~{digest}")
    head = name[:room]
    while len(os.fsencode(head)) > room:  # whole characters only
        head = head[:-1]
    return f".{head}~{digest}."


def _leftover_pattern(name: str) -> re.Pattern[str]:
    """The names ``tempfile.mkstemp`` gives our temporary files for target ``name``."""
    return re.compile(rf"{re.escape(_temp_prefix(name))}[a-z0-9_]{{8}}\.tmp")


def _abandoned(path: str) -> bool:
    """Whether ``path`` is a regular file that no live writer holds; if so, remove it."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return False
        if fcntl is None:  # pragma: no cover - Windows
            if time.time() - st.st_mtime < STALE_SECONDS:
                return False
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a save in progress holds it (or locks do not work here)
                return False
        same = os.stat(path, follow_symlinks=False)
        if (same.st_dev, same.st_ino) != (st.st_dev, st.st_ino):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _remove_leftovers(folder: Path, name: str) -> None:
    """Remove temporary files that killed saves to ``folder/name`` left behind."""
    pattern = _leftover_pattern(name)
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                _abandoned(entry.path)


def _open_temporary(folder: Path, name: str) -> tuple[int, str]:
    """Create and lock our temporary file (the lock marks it as in use until we finish)."""
    while True:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(name), suffix=".tmp")
        if fcntl is None:  # pragma: no cover - Windows
            return fd, tmp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.samestat(os.fstat(fd), os.stat(tmp, follow_symlinks=False)):
                return fd, tmp
        except FileNotFoundError:
            pass
        except OSError:  # locks do not work on this file system: go on without one
            return fd, tmp
        os.close(fd)  # another save took it for abandoned between mkstemp and flock: again


def _check_target(shown: str, real: Path) -> os.stat_result | None:
    """Refuse to replace anything but a writable regular file; its stat, or None if absent."""
    try:
        st = os.stat(real, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a directory, not a file", shown)
    kind = _kind(st.st_mode)
    if kind is not None:
        raise UnsafePathError(
            errno.EINVAL, f"it is {kind}, not a regular file; refusing to replace it", shown
        )
    if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
        # Root may write anywhere, but a file with no write bit was made read-only on
        # purpose: refuse it as open() refuses it for everyone else.
        raise PermissionError(
            errno.EACCES,
            f"it is read-only (mode {stat.filemode(st.st_mode)}); make it writable first",
            shown,
        )
    return st


def atomic_write(path: Any, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it.

    Either the whole new content is there afterwards or, if anything failed, the old file (if
    any) is untouched and no temporary file is left behind; temporary files that a killed
    process left for the same target are removed by the next successful write. An existing
    file keeps its permissions (and, when root writes, its owner and group); a new one gets
    the usual ones (0o666 less the umask). Returns ``path`` as a ``Path``.

    What sits at ``path`` is never destroyed:

    - a symlink (or a chain of them) is followed and the file it points to is replaced in its
      own folder (a dangling link gets its target created); the link stays;
    - a FIFO, socket or device raises :class:`UnsafePathError` (an ``OSError`` and a
      ``ValueError``), and so does an empty path;
    - a directory (or a path ending in a separator) raises ``IsADirectoryError``;
    - a read-only file raises ``PermissionError``, even for root, as ``open()`` would for
      anyone else.

    Errors name ``path`` (and the real file behind a symlink), never the temporary file.
    A hard link to the old file keeps the old content: renaming makes a new file.

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(folder, "a.txt"), "hello").read_text()
    'hello'
    """
    if not isinstance(data, (str, bytes)):
        raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
    path, real, shown, folder, old = _prepare(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        fd, tmp = _open_temporary(folder, real.name)
    except OSError as exc:
        raise _named(exc, shown) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if old is not None and hasattr(os, "fchown") and (
                (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid())
            ):
                with contextlib.suppress(OSError):  # only root (or a group member) may
                    os.fchown(handle.fileno(), old.st_uid, old.st_gid)
            os.fsync(handle.fileno())
            os.chmod(tmp, old.st_mode & 0o777 if old is not None else _default_mode())
            os.replace(tmp, real)  # still locked: a concurrent cleanup leaves it alone
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _named(exc, shown) from None
        raise
    _remove_leftovers(folder, real.name)
    return path


def check_writable(path: Any) -> Path:
    """Check, without writing anything, that :func:`atomic_write` may write ``path``: the
    cheap checks it makes first (a usable name, the folder exists and is a folder, nothing but
    a writable regular file or nothing sits there, a symlink may be followed). Raises what
    ``atomic_write`` would raise; returns ``path`` as a ``Path``.

    Call it before expensive work whose result goes to ``path`` (rendering a large graph), so
    that a bad target is refused at once.
    """
    return _prepare(path)[0]


def _prepare(path: Any) -> tuple[Path, Path, str, Path, os.stat_result | None]:
    """``path`` checked: (path, the real file behind it, how errors name it, its folder, the
    stat of the file there now or None)."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    raw = os.fsdecode(os.fspath(path))
    if raw == "":
        raise UnsafePathError(errno.ENOENT, "the path is empty; give a file name")
    if raw.endswith((os.sep, os.altsep or os.sep)):
        raise IsADirectoryError(errno.EISDIR, "the path names a folder, not a file", raw)
    path = Path(raw)
    real = _follow(path)
    shown = raw if real == path else f"{raw} (-> {real})"
    folder = real.absolute().parent
    if not folder.is_dir():
        _missing_folder(folder, shown)
    return path, real, shown, folder, _check_target(shown, real)


def _missing_folder(folder: Path, shown: str) -> None:
    """Raise for a folder that is not there: the first part of it that is a file, or the
    folder itself as missing."""
    for part in (folder, *folder.parents):
        try:
            st = os.stat(part)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(
                errno.ENOTDIR, f"{part} is not a folder (it is a file)", shown
            )
        break
    raise FileNotFoundError(errno.ENOENT, f"the folder {folder} does not exist", shown)


def _named(exc: OSError, shown: str) -> OSError:
    """``exc`` naming the target instead of the temporary file (same type and errno): one
    file name in its message, never Python's ``'a' -> 'b'`` pair."""
    if exc.errno is not None:
        strerror = exc.strerror if exc.strerror is not None else os.strerror(exc.errno)
        try:
            renamed = type(exc)(exc.errno, strerror, shown)
        except Exception:  # an OSError subclass with its own constructor
            renamed = OSError(exc.errno, strerror, shown)
        renamed.__traceback__ = exc.__traceback__
        return renamed
    if shown not in str(exc):
        exc.args = (f"cannot write {shown}: {exc}",)
    return exc


__all__ = ["MAX_SYMLINKS", "NAME_MAX", "STALE_SECONDS", "UnsafePathError", "atomic_write",
           "check_writable"]

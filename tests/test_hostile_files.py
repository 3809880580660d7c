"""Hostile input for file writes (issue 10, files): ``atomic_write`` never destroys what sits
at the path. A symlink is followed; a FIFO, socket, device or directory is refused; a read-only
file is refused; errors name the target, never the hidden temporary file; no temporary file
outlives a failure, and one left by a killed process goes with the next successful save."""

import errno
import fcntl
import os
import socket
import stat
import subprocess
import sys
import textwrap

import pytest

import autograd_core.files as files
from autograd_core.files import UnsafePathError, atomic_write


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- symlinks
def test_symlink_is_followed_and_the_real_file_replaced(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to("real.json")  # relative, as `ln -s` makes them
    assert atomic_write(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert real.read_text() == "new"
    assert os.stat(real).st_mode & 0o777 == 0o640  # the real file's mode, not the link's
    assert _temps(tmp_path) == []


def test_symlink_chain_into_another_folder(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    real = store / "model.json"
    real.write_text("old")
    (store / "current").symlink_to("model.json")  # store/current -> store/model.json
    link = work / "m.json"
    link.symlink_to(os.path.join("..", "store", "current"))  # work/m.json -> ../store/current
    atomic_write(link, "new")
    assert link.is_symlink() and (store / "current").is_symlink()
    assert real.read_text() == "new"
    assert _temps(store) == [] and _temps(work) == []  # the temporary file lived in store/


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to("later.json")
    atomic_write(link, "made")
    assert link.is_symlink()
    assert (tmp_path / "later.json").read_text() == "made"


def test_symlink_loop_is_an_error_naming_the_path(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="symbolic links") as info:
        atomic_write(tmp_path / "a", "x")
    assert info.value.errno == errno.ELOOP
    assert str(tmp_path / "a") in str(info.value)
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert _temps(tmp_path) == []


# --------------------------------------------------------------------------- not a file
def _assert_refused(path, kind, check):
    with pytest.raises(UnsafePathError, match=kind) as info:
        atomic_write(path, "x")
    message = str(info.value)
    assert str(path) in message and ".tmp" not in message
    assert isinstance(info.value, OSError) and isinstance(info.value, ValueError)
    assert check(os.lstat(path).st_mode)
    assert _temps(path.parent) == []


def test_fifo_is_refused_and_kept(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _assert_refused(fifo, "FIFO", stat.S_ISFIFO)


def test_fifo_behind_a_symlink_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to("pipe")
    with pytest.raises(UnsafePathError, match="FIFO"):
        atomic_write(tmp_path / "link", "x")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
    assert (tmp_path / "link").is_symlink()


def test_socket_is_refused_and_kept(tmp_path):
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        _assert_refused(path, "socket", stat.S_ISSOCK)
    finally:
        server.close()


def test_character_device_is_refused_and_kept(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")
    _assert_refused(node, "device", stat.S_ISCHR)


def test_dev_null_is_refused(monkeypatch):
    if not os.path.exists("/dev/null") or not os.access("/dev/null", os.W_OK):
        pytest.skip("no writable /dev/null")
    real_replace = os.replace

    def guarded(src, dst, **kw):  # however atomic_write regresses, never touch the real device
        if os.path.realpath(dst) == "/dev/null":
            os.unlink(src)
            raise AssertionError("atomic_write tried to replace /dev/null")
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", guarded)
    monkeypatch.setattr(os, "rename", guarded)
    with pytest.raises(UnsafePathError, match="device") as info:
        atomic_write("/dev/null", "x")
    assert "/dev/null" in str(info.value)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_directory_is_refused_naming_it_not_the_temporary_file(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        atomic_write(folder, "x")
    assert str(folder) in str(info.value) and ".tmp" not in str(info.value)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert _temps(tmp_path) == []


def test_trailing_slash_means_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="folder"):
        atomic_write(str(tmp_path / "new.json") + os.sep, "x")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- permissions
def test_read_only_file_is_refused_even_as_root(tmp_path):
    path = tmp_path / "ro.json"
    path.write_text("keep me")
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only") as info:
        atomic_write(path, "overwritten")
    assert str(path) in str(info.value) and ".tmp" not in str(info.value)
    assert path.read_text() == "keep me"
    assert os.stat(path).st_mode & 0o777 == 0o444
    assert _temps(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_owner_and_group_are_kept_when_root_saves(tmp_path):
    path = tmp_path / "theirs.json"
    path.write_text("old")
    os.chown(path, 1234, 4321)
    atomic_write(path, "new")
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (1234, 4321)
    assert path.read_text() == "new"


# --------------------------------------------------------------------------- bad paths
@pytest.mark.parametrize("empty", ["", b""])
def test_empty_path_is_a_value_error(tmp_path, monkeypatch, empty):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(ValueError, match="empty"):
        atomic_write(empty, "x")
    assert list(tmp_path.iterdir()) == [work] and list(work.iterdir()) == []


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        atomic_write(tmp_path / "nope" / "m.json", "x")
    assert str(tmp_path / "nope") in str(info.value)


# --------------------------------------------------------------------------- failures
@pytest.mark.parametrize("where", ["fsync", "chmod"])
def test_disk_full_names_the_target_and_leaves_nothing(tmp_path, monkeypatch, where):
    path = tmp_path / "m.json"
    path.write_text("old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, where, full)
    with pytest.raises(OSError) as info:
        atomic_write(path, "new" * 1000)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert str(path) in str(info.value) and ".tmp" not in str(info.value)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_failed_rename_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text("old")

    def busy(src, dst, **kw):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), src, dst)

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(OSError) as info:
        atomic_write(path, "new")
    monkeypatch.undo()
    assert str(path) in str(info.value) and ".tmp" not in str(info.value)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


# --------------------------------------------------------------------------- leftovers
KILLED_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    import autograd_core.files as files
    def die(fd):
        os.kill(os.getpid(), signal.SIGKILL)
    os.fsync = die
    files.atomic_write(sys.argv[1], "half")
    """
)


def test_temporary_file_of_a_killed_save_goes_with_the_next_save(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("old")
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], check=False)
    assert done.returncode == -9
    left = _temps(tmp_path)
    assert len(left) == 1 and left[0].startswith(".m.json.")  # what kill -9 leaves
    assert path.read_text() == "old"
    atomic_write(path, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
    assert path.read_text() == "new"


def test_cleanup_removes_only_our_own_abandoned_files(tmp_path):
    path = tmp_path / "m.json"
    ours = [".m.json.abcd_123.tmp", ".m.json.zz99zz99.tmp"]
    theirs = [
        ".m.json.abc.tmp",  # not mkstemp's 8 characters
        ".m.json.ABCD1234.tmp",  # mkstemp never uses capitals
        ".other.json.abcd1234.tmp",  # another target's
        "m.json.abcd1234.tmp",  # not hidden
        ".m.json.abcd1234.tmp.bak",
    ]
    for name in ours + theirs:
        (tmp_path / name).write_text("junk")
    (tmp_path / ".m.json.dir12345.tmp").mkdir()  # a folder with our pattern: not ours
    (tmp_path / ".m.json.link1234.tmp").symlink_to("m.json.abcd1234.tmp")
    atomic_write(path, "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        ["m.json", *theirs, ".m.json.dir12345.tmp", ".m.json.link1234.tmp"]
    )


def test_cleanup_spares_the_temporary_file_of_a_save_in_progress(tmp_path):
    path = tmp_path / "m.json"
    busy = tmp_path / ".m.json.busy1234.tmp"
    busy.write_text("being written")
    fd = os.open(busy, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what a live atomic_write holds on its temporary file
        atomic_write(path, "first")
        assert busy.exists()
    finally:
        os.close(fd)  # the "writer" dies: its lock goes with it
    atomic_write(path, "second")
    assert not busy.exists()
    assert path.read_text() == "second"


def test_a_save_that_fails_keeps_others_leftovers_and_adds_none(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    stale = tmp_path / ".m.json.stale123.tmp"
    stale.write_text("junk")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        atomic_write(path, "new")
    monkeypatch.undo()
    assert _temps(tmp_path) == [stale.name]


def test_cleanup_pattern_escapes_the_name(tmp_path):
    path = tmp_path / "m.json"
    other = tmp_path / ".mXjson.abcd1234.tmp"  # '.' in the name must not match any character
    other.write_text("junk")
    atomic_write(path, "new")
    assert other.exists()


def test_cleanup_module_pattern_agrees_with_tempfile():
    import tempfile

    folder = tempfile.mkdtemp()
    try:
        for _ in range(20):
            fd, name = tempfile.mkstemp(dir=folder, prefix=".m.json.", suffix=".tmp")
            os.close(fd)
            assert files._leftover_pattern("m.json").fullmatch(os.path.basename(name))
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


# --------------------------------------------------------------------------- re-check of issue 10
def test_an_error_names_the_target_once_without_an_arrow_to_none(tmp_path, monkeypatch):
    path = tmp_path / "m.json"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/somewhere/.m.json.x.tmp",
                      "/somewhere/else")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        atomic_write(path, "new")
    monkeypatch.undo()
    assert str(info.value) == f"[Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}: '{path}'"
    assert info.value.filename2 is None and "->" not in str(info.value)


@pytest.mark.parametrize("name", ["x" * 250, "\u00e9" * 125, "y" * 255])
def test_a_long_but_valid_name_can_be_saved(tmp_path, name):
    with open(tmp_path / "probe", "w"):  # what open() takes, atomic_write takes
        pass
    path = tmp_path / name
    atomic_write(path, "data")
    assert path.read_text() == "data"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["probe", name])


def test_a_killed_save_to_a_long_name_is_cleaned_up_by_the_next(tmp_path):
    name = "z" * 250
    path = tmp_path / name
    path.write_text("old")
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], check=False)
    assert done.returncode == -9
    left = _temps(tmp_path)
    assert len(left) == 1 and len(os.fsencode(left[0])) <= files.NAME_MAX
    assert files._leftover_pattern(name).fullmatch(left[0])
    assert not files._leftover_pattern("z" * 249).fullmatch(left[0])  # another target's
    assert path.read_text() == "old"
    atomic_write(path, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_folder_that_is_a_file_is_called_not_a_folder(tmp_path):
    (tmp_path / "ro").write_text("a file")
    for target in (tmp_path / "ro" / "x", tmp_path / "ro" / "sub" / "x"):
        with pytest.raises(NotADirectoryError, match="is not a folder") as info:
            atomic_write(target, "x")
        assert "does not exist" not in str(info.value)
        assert str(tmp_path / "ro") in str(info.value)
    assert (tmp_path / "ro").read_text() == "a file"


def test_check_writable_refuses_what_atomic_write_refuses_and_writes_nothing(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePathError):
        files.check_writable(fifo)
    with pytest.raises(IsADirectoryError):
        files.check_writable(tmp_path)
    with pytest.raises(FileNotFoundError):
        files.check_writable(tmp_path / "nope" / "x")
    assert files.check_writable(tmp_path / "new.txt") == tmp_path / "new.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


root_only = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="needs root to give a link another owner")


@root_only
def test_a_link_planted_by_another_user_in_a_sticky_folder_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = shared / "out.json"
    link.symlink_to(victim)
    os.lchown(link, 12345, 12345)  # planted by another user
    with pytest.raises(PermissionError, match="another user") as info:
        atomic_write(link, "overwritten")
    assert str(link) in str(info.value)
    assert victim.read_text() == "precious" and link.is_symlink()
    assert _temps(shared) == [] and _temps(tmp_path) == []


@root_only
def test_links_the_kernel_would_follow_are_followed(tmp_path):
    victim = tmp_path / "target.txt"
    # our own link in a sticky folder; another user's link in the folder that user owns;
    # another user's link in a folder that is not sticky and world-writable
    for mode, folder_owner, link_owner in ((0o1777, 0, 0), (0o1777, 12345, 12345),
                                           (0o0777, 0, 12345)):
        folder = tmp_path / f"d{mode:o}_{folder_owner}_{link_owner}"
        folder.mkdir()
        folder.chmod(mode)
        os.chown(folder, folder_owner, folder_owner)
        link = folder / "out.json"
        link.symlink_to(victim)
        os.lchown(link, link_owner, link_owner)
        atomic_write(link, f"via {folder.name}")
        assert victim.read_text() == f"via {folder.name}" and link.is_symlink()

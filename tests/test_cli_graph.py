"""The ``graph`` command: DOT on stdout, ``-o`` SVG or DOT files, ``--html`` stepping pages."""

from __future__ import annotations

import os
import re
import stat

import pytest

from autograd_core import Value, cli

pytestmark = pytest.mark.skipif(
    "graph" not in cli._available_commands(), reason="viz is not available"
)

NEURON = ["tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432"]


def records(dot: str) -> dict[str, str]:
    """``name -> record label`` for every value node of a DOT text."""
    return {m.group(1): m.group(0) for m in re.finditer(r"\{ (\w+) \|[^}]*\}", dot)}


def has_renderer() -> bool:
    from viz.render import renderer

    return bool(renderer())


def test_dot_on_stdout_names_variables_and_shows_their_gradients(capsys):
    assert cli.main(["graph", *NEURON]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("digraph")
    nodes = records(out)
    assert {"x", "w", "b", "f"} <= set(nodes)
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    f = (x * w + b).tanh()
    f.backward()
    for name, leaf in (("x", x), ("w", w), ("b", b)):
        assert f"grad {leaf.grad:.4f}" in nodes[name]
    assert f"data {f.data:.4f}" in nodes["f"]
    assert "rankdir=LR" in out


def test_no_grad_and_rankdir(capsys):
    assert cli.main(["graph", "x*w", "x=2", "w=-3", "--no-grad", "--rankdir", "TB"]) == 0
    out = capsys.readouterr().out
    assert "rankdir=TB" in out
    assert "grad" not in "".join(records(out).values())


def test_bad_rankdir_is_a_usage_error(capsys):
    assert cli.main(["graph", "x", "x=1", "--rankdir", "UP"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_dot_file_is_the_stdout_text_with_normal_permissions(capsys, tmp_path):
    assert cli.main(["graph", *NEURON]) == 0
    shown = capsys.readouterr().out
    target = tmp_path / "graph.dot"
    assert cli.main(["graph", *NEURON, "-o", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") + "\n" == shown
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]  # no temporary left over


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.skipif(not has_renderer(), reason="no Graphviz renderer installed")
def test_svg_file(capsys, tmp_path):
    target = tmp_path / "neuron.svg"
    assert cli.main(["graph", *NEURON, "-o", str(target)]) == 0
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg and ">x<" in svg.replace(" ", "")


@pytest.mark.skipif(not has_renderer(), reason="no Graphviz renderer installed")
def test_html_stepping_page(capsys, tmp_path):
    page = tmp_path / "steps.html"
    assert cli.main(["graph", *NEURON, "--html", str(page)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and f"wrote {page}" in err
    html = page.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "<svg" in html


def test_missing_renderer_exits_1_with_one_line(capsys, tmp_path, monkeypatch):
    import viz.render

    def no_renderer(source, **options):
        raise viz.render.RendererNotFound("cannot render SVG: no renderer (test)")

    monkeypatch.setattr(viz.render, "render_svg", no_renderer)
    code = cli.main(["graph", *NEURON, "-o", str(tmp_path / "g.svg")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "no renderer (test)" in err and "Traceback" not in err
    assert (tmp_path / "g.dot").exists()  # viz keeps the DOT text for later


@pytest.mark.parametrize(
    ("option", "name", "fragment"),
    [
        ("-o", "graph.png", "must end in .svg or .dot"),
        ("-o", "missing-dir/graph.svg", "does not exist"),
        ("--html", "page.txt", "must end in .html"),
        ("-o", "", "must end in"),
    ],
)
def test_bad_output_paths_exit_2(capsys, tmp_path, option, name, fragment):
    code = cli.main(["graph", *NEURON, option, str(tmp_path / name) if name else ""])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_output_path_that_is_a_directory(capsys, tmp_path):
    (tmp_path / "g.dot").mkdir()
    assert cli.main(["graph", *NEURON, "-o", str(tmp_path / "g.dot")]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_graph_user_errors_exit_2(capsys):
    assert cli.main(["graph", "sqrt(x)", "x=-1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_constant_expression_draws_one_node(capsys):
    assert cli.main(["graph", "2 * 3"]) == 0
    assert set(records(capsys.readouterr().out)) == {"f"}

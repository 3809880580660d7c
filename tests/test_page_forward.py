"""The stepping page in forward mode (issue 14): ``backward_page(mode="forward")``,
``viz.page.forward_page`` and ``Stepper(mode="forward")`` shown inline."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from view_support import CURRENT_IN_VIEW, Watched, chromium, labelled_neuron, notebook_cell

import nn
import viz
from autograd_core import Stepper, Value, forward_tangents, sum_of
from autograd_core.steps import forward_steps
from nn.losses import hinge
from viz import page as page_module

SHOTS = Path("/tmp/shots4")


def neuron() -> tuple[Value, list[Value]]:
    x, w, b, _, o = labelled_neuron()
    return o, [x, w, b]


def network_loss() -> tuple[Value, list[Value]]:
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    return hinge([model([0.5, -1.2])], [1.0]), model.parameters()


def data_of(text: str) -> dict:
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def has_renderer() -> bool:
    try:
        viz.render.render_svg("digraph { a }")
    except viz.render.RendererNotFound:
        return False
    return True


needs_renderer = pytest.mark.skipif(not has_renderer(), reason="no Graphviz renderer")


# --------------------------------------------------------------------------- frames
def test_frames_follow_forward_steps_and_fill_in_tangents():
    o, (_x, w, _b) = neuron()
    _, data = page_module.forward_page_data(o, {w: 1.0})
    frames = data["frames"]
    steps = list(forward_steps(o, {w: 1.0}))
    assert data["mode"] == "forward" and data["field"] == "dot"
    assert data["direction"] == "w.dot = 1.0"
    assert [f["head"] for f in frames] == ["the seed"] + [f"{s.name} = {s.expression}"
                                                          for s in steps]
    assert frames[0]["lines"][0] == "seed: w.dot = 1.0"
    assert "the other inputs do not move: dot = 0 (b, x)" in frames[0]["lines"]
    # frame 0 fills in the inputs' tangents, each later frame its node's
    ids = {cell[0] for cell in data["initial"]}
    assert {c[1] for c in frames[0]["set"]} == {"1.0000", "0.0000"}
    expected = forward_tangents(o, {w: 1.0})
    for frame, step in zip(frames[1:], steps, strict=True):
        assert frame["node"] in ids and frame["op"] == frame["node"] + "_op"
        assert [c[0] for c in frame["set"]] == [frame["node"]]
        assert float(frame["grad"]) == pytest.approx(step.tangent, rel=1e-3)
        assert step.tangent == expected[step.node]
        assert len(frame["parents"]) == len(step.node.parents)
    tanh = frames[-1]
    assert tanh["lines"][0] == "o.dot = (1 - o**2) * n.dot"
    assert tanh["lines"][-1] == "[3 multiplies, 0 adds so far]"  # b does not move
    assert tanh["rows"] == [["n", "(1 - o**2)", "0.5", "2.0", "1.0"]]  # n.dot = x


def test_inputs_that_do_not_move_have_zero_terms_and_grad_is_untouched():
    o, (x, w, b) = neuron()
    x.grad, o.grad = 5.0, 7.0
    _, data = page_module.forward_page_data(o, {b: 1.0})
    first = data["frames"][1]  # t = x * w: neither moves
    assert first["lines"][0].endswith(".dot = 0.0: no input depends on the seeded inputs")
    assert all(row[-1] == "0 (not moving)" for row in first["rows"])
    assert (x.grad, o.grad, w.grad) == (5.0, 7.0, 0.0)


def test_a_wide_node_shows_the_largest_terms_and_all_one_click_away():
    xs = [Value(float(i) - 10, label=f"x{i}") for i in range(30)]
    total = sum_of(xs)
    total.label = "s"
    _, data = page_module.forward_page_data(total, dict.fromkeys(xs, 1.0))
    frame = data["frames"][-1]
    assert frame["full"] is not None and len(frame["full"]) == 30
    assert "more terms, none larger (all 30 below)" in frame["lines"][0]
    assert len(frame["rows"]) == 30


def test_the_page_needs_tangents_and_refuses_mixed_arguments(tmp_path):
    o, (x, _, _) = neuron()
    with pytest.raises(TypeError, match="forward mode needs tangents"):
        page_module.forward_page_data(o, None)
    with pytest.raises(TypeError, match="takes tangents=, not grad"):
        viz.backward_page(o, tmp_path / "p.html", 2.0, mode="forward", tangents={x: 1.0})
    with pytest.raises(TypeError, match="tangents= is for mode='forward'"):
        viz.backward_page(o, tmp_path / "p.html", tangents={x: 1.0})
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        viz.backward_page(o, tmp_path / "p.html", mode="sideways")
    with pytest.raises(TypeError, match="dict from input Values"):
        page_module.forward_page_data(o, [1.0])


@needs_renderer
def test_forward_page_is_self_contained_and_says_forward(tmp_path):
    o, (x, _w, _b) = neuron()
    path = page_module.forward_page(o, tmp_path / "fwd.html", {x: 1.0})
    text = path.read_text(encoding="utf-8")
    assert "<title>forward mode of o (x.dot = 1.0)</title>" in text
    assert "<th>input.dot</th><th>term</th>" in text
    assert "fill: dot (darkest at" in text and "fill: grad" not in text
    assert not re.search(r'(src|href)="https?:', text)
    assert data_of(text)["frames"][-1]["head"] == "o = tanh(n)"
    same = viz.backward_page(o, tmp_path / "same.html", mode="forward", tangents={x: 1.0})
    assert same.read_text(encoding="utf-8") == text
    # the reverse page is unchanged by all this
    reverse = viz.backward_page(o, tmp_path / "rev.html").read_text(encoding="utf-8")
    assert "<title>backward pass of o</title>" in reverse and '"mode"' not in reverse


@needs_renderer
def test_the_stepper_shows_forward_mode_inline():
    o, (x, w, _b) = neuron()
    s = Stepper(o, mode="forward", tangents={x: 1.0, w: 0.5})
    s.next()
    s.next()
    shown = s._repr_html_()
    assert shown is not None and shown.startswith('<iframe class="autograd-stepper"')
    assert 'title="forward mode of o"' in shown
    page = html.unescape(re.search(r'srcdoc="(.*)"', shown, re.S).group(1))
    data = data_of(page)
    assert data["start"] == 2 and data["direction"] == "x.dot = 1.0, w.dot = 0.5"
    assert s.html(height=300).count("height: 300px") == 1
    assert len(s.steps) == 2  # drawing it did not advance the pass


# --------------------------------------------------------------------------- browser



@pytest.fixture(scope="module")
def browser():
    if not has_renderer():
        pytest.skip("no Graphviz renderer")
    yield from chromium()


def test_steps_advance_in_the_browser(browser, tmp_path):
    o, (_x, w, _b) = neuron()
    path = page_module.forward_page(o, tmp_path / "fwd.html", {w: 1.0})
    frames = data_of(path.read_text(encoding="utf-8"))["frames"]
    watched = Watched(browser, path.as_uri())
    page = watched.page
    try:
        assert page.inner_text("#counter") == f"step 1 of {len(frames) - 1}"
        for k in range(1, len(frames)):
            if k > 1:
                page.click("#next")
            page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
            frame = frames[k]
            assert page.inner_text("#counter") == f"step {k} of {len(frames) - 1}"
            assert page.inner_text("#line").splitlines() == frame["lines"]
            assert page.inner_text("#upstream") == f"{frame['head'].split(' = ')[0]}.dot = " \
                f"{frame['grad']}"
            assert "current" in page.get_attribute(f"#{frame['node']}", "class")
            for parent in frame["parents"]:
                assert "parent" in page.get_attribute(f"#{parent}", "class")
            texts = page.evaluate(
                "id => [...document.getElementById(id).querySelectorAll('text')]"
                ".map(t => t.textContent)", frame["node"])
            assert texts[-1] == "dot " + frame["set"][0][1]
            rows = page.eval_on_selector_all("#updates tbody tr", "rows => rows.length")
            assert rows == len(frame["rows"])
        assert page.is_disabled("#next")
        # going back hides the later tangents again
        page.keyboard.press("Home")
        last = frames[-1]["node"]
        texts = page.evaluate("id => [...document.getElementById(id).querySelectorAll('text')]"
                              ".map(t => t.textContent)", last)
        assert texts[-1] == "dot ?"
        page.keyboard.press("End")
        page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "forward_neuron.png"))
    finally:
        page.close()
    assert watched.errors == []
    assert watched.requests == [path.as_uri()]


def test_the_current_node_stays_in_view_on_the_network(browser, tmp_path):
    loss, params = network_loss()
    path = page_module.forward_page(loss, tmp_path / "net.html", {params[0]: 1.0},
                                    max_nodes=None)
    frames = data_of(path.read_text(encoding="utf-8"))["frames"]
    assert len(frames) > 60
    watched = Watched(browser, path.as_uri() + "#step=1")
    page = watched.page
    try:
        k = 1
        for count in (1, 5, 20, 30, 1):
            for _ in range(count):
                page.keyboard.press("ArrowRight")
                k += 1
            page.wait_for_function(CURRENT_IN_VIEW, timeout=5000)
            assert page.inner_text("#counter") == f"step {k} of {len(frames) - 1}"
            assert "current" in page.get_attribute(f"#{frames[k]['node']}", "class")
        page.wait_for_timeout(600)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "forward_network.png"))
    finally:
        page.close()
    assert watched.errors == []
    assert watched.requests == [path.as_uri()]


def test_the_notebook_iframe_runs_the_forward_page(browser, tmp_path):
    o, (x, _, _) = neuron()
    stepper = Stepper(o, mode="forward", tangents={x: 1.0})
    host = notebook_cell(tmp_path / "cell.html", stepper._repr_html_())
    watched = Watched(browser, host.as_uri(), ready=None)
    page = watched.page
    try:
        frame = page.frame_locator("iframe.autograd-stepper")
        frame.locator("body[data-ready]").wait_for()
        assert frame.locator("#counter").inner_text() == "step 1 of 3"
        frame.locator("#next").click()
        assert frame.locator("#counter").inner_text() == "step 2 of 3"
        assert frame.locator("g.node.current").count() == 2  # the value and its op
    finally:
        page.close()
    assert watched.errors == [] and watched.requests == [host.as_uri()]


def test_a_neurons_parameters_show_d_in_their_short_field(browser, tmp_path):
    # A parameter inside a neuron is one line, "w3 | -0.288 | g 0.000"; forward mode writes
    # "d <tangent>" there, every time the step changes (not "dot", wider than the field).
    loss, params = network_loss()
    path = page_module.forward_page(loss, tmp_path / "net.html", {params[0]: 1.0},
                                    max_nodes=None)
    data = data_of(path.read_text(encoding="utf-8"))
    page = Watched(browser, path.as_uri() + "#step=3").page
    try:
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        ids = [cell[0] for cell in data["initial"]]
        fields = page.evaluate("ids => ids.map(id => { const t = document.getElementById(id)"
                               ".querySelectorAll('text'); return t[t.length - 1]"
                               ".textContent; })", ids)
    finally:
        page.close()
    short = [f for f in fields if f.startswith("d ")]
    assert len(short) >= len(params) - 20  # the weights of the neurons
    assert all(f.startswith(("d ", "dot ")) for f in fields), fields[:5]
    assert not any(f.startswith("d d") or "dot dot" in f for f in fields)

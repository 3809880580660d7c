"""The training page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Skipped, with the reason, where Chromium or the ``playwright`` package is absent.
"""

from __future__ import annotations

import pytest
from view_support import Watched, chromium

from autograd_core.graph import topological_order
from nn import MLP, fit
from nn.datasets import make_moons
from nn.losses import hinge
from viz.training import training_page

X, Y = make_moons(40, noise=0.1, seed=3)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    model = MLP(2, [6, 5, 1], seed=2)
    history = fit(model, X, Y, loss=hinge, optimizer="adam", lr=0.05, epochs=12,
                  progress=False, record=True)
    path = tmp_path_factory.mktemp("page") / "training.html"
    training_page(model, history, X, Y, path)
    return model, history, path


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def page(run, browser):
    watched = Watched(browser, run[2].as_uri(), ready=None)
    pg = watched.page
    pg.wait_for_function("window.trainingPage !== undefined")
    pg.errors, pg.requests = watched.errors, watched.requests
    yield pg
    watched.close()


def _state(pg):
    return pg.evaluate("""() => ({
        boundary: document.getElementById('boundary').toDataURL(),
        markers: Array.from(document.querySelectorAll('line.marker'))
            .map(m => m.getAttribute('x1')),
        edge: document.querySelector('line.edge').getAttribute('stroke-width'),
        label: document.getElementById('epoch-label').textContent,
        count: document.getElementById('step-count').textContent,
        current: Array.from(document.querySelectorAll('.node.current')).map(n => n.dataset.name),
        selected: Array.from(document.querySelectorAll('.point.selected'))
            .map(n => n.dataset.index),
        info: document.getElementById('point-info').textContent,
    })""")


def test_slider_moves_boundary_curves_and_weights(page):
    before = _state(page)
    assert before["label"] == "epoch 12 / 12" and len(before["markers"]) == 4
    page.locator("#epoch").fill("2")
    after = _state(page)
    assert after["label"] == "epoch 2 / 12"
    assert after["boundary"] != before["boundary"]
    assert all(a != b for a, b in zip(after["markers"], before["markers"], strict=True))
    assert after["edge"] != before["edge"]
    page.locator("#epoch").fill("12")
    assert _state(page)["boundary"] == before["boundary"]  # the same epoch, the same picture


def test_click_selects_a_point_and_arrows_step_its_backward_pass(page):
    page.locator('circle.point[data-index="5"]').click()
    s = _state(page)
    assert s["selected"] == ["5"] and s["info"].startswith("point 5 ")
    assert s["count"].startswith("step 1 of ") and s["current"] == []  # the loss step
    seen = []
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        seen.append(_state(page)["current"])
    # the output's dot, then layer 1's first neuron: its relu, then its dot
    assert seen == [["L2.n0"], ["L1.n0"], ["L1.n0"]]
    assert _state(page)["count"].startswith("step 4 of ")
    assert page.locator(".node.parent").count() == 6  # its inputs: layer 0's six neurons
    page.keyboard.press("ArrowLeft")
    assert _state(page)["count"].startswith("step 3 of ")


def test_backward_in_the_page_equals_the_engine(page, run):
    model, history, _ = run
    rec = history.record
    epoch, point = 7, 11
    grads = page.evaluate(f"window.trainingPage.zGrads({epoch}, {point})")
    params = model.parameters()
    saved = [p.data for p in params]
    try:
        for p, v in zip(params, rec.snapshots[epoch], strict=True):
            p.data = v
        loss = hinge([model(X[point])], [Y[point]])
        loss.backward()
        engine = {v.label: v.grad for v in topological_order(loss)}
    finally:
        for p, v in zip(params, saved, strict=True):
            p.data = v
    names = [[f"L{k}.n{i}.z" for i in range(n)] for k, n in enumerate([6, 5])] + [["L2.n0.out"]]
    expected = [[engine[name] for name in layer] for layer in names]
    assert any(g != 0 for layer in expected for g in layer)
    for got, want in zip(grads, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-9)


def test_no_script_error_and_no_network_request(page):
    page.locator("#play").click()
    page.wait_for_timeout(300)
    page.locator("#play").click()
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith("file:")] == []


def test_log_axis_ticks_are_round_values(page):
    ticks = page.evaluate("""() => {
        const t = window.trainingPage.logTicks;
        const ten = (r) => r.ticks.map((v) => +Math.pow(10, v).toPrecision(6));
        return [ten(t(Math.log10(0.01402), Math.log10(1.172))),
                ten(t(Math.log10(1.71e-5), Math.log10(0.6632))),
                ten(t(Math.log10(1.001), Math.log10(1.212)))]; }""")
    assert ticks[0] == [0.01, 0.1, 1]
    assert ticks[1] == [1e-5, 1e-4, 0.001, 0.01, 0.1, 1]
    assert ticks[2] == [1.1, 1.2]
    labels = page.evaluate("""() => Array.from(document.querySelectorAll(
        '#curves text.tick[text-anchor=end], #health text.tick[text-anchor=end]'))
        .map((t) => t.textContent)""")
    labels = [t for t in labels if not t.startswith("epoch")]
    assert labels
    for label in labels:  # one or two significant digits: 1, 0.1, 0.5, 1e-5, 0.02, ...
        assert len(f"{float(label):.6e}".split("e")[0].rstrip("0").replace(".", "")) <= 2, label


def test_current_and_parents_have_the_stepping_pages_colours(page):
    page.evaluate("window.trainingPage.select(5); window.trainingPage.go(3)")
    colours = page.evaluate("""() => [
        getComputedStyle(document.querySelector('.node.current')).stroke,
        getComputedStyle(document.querySelector('.node.parent')).stroke]""")
    assert colours == ["rgb(214, 39, 40)", "rgb(255, 127, 14)"]  # viz.page's red and orange


def test_node_values_sit_beside_the_nodes_inside_the_panel(page):
    boxes = page.evaluate("""() => {
        const box = (e) => { const b = e.getBBox();
            return [b.x, b.y, b.x + b.width, b.y + b.height]; };
        const svg = document.getElementById('network');
        const nodes = Array.from(svg.querySelectorAll('circle.node')).map(box);
        const vals = Array.from(svg.querySelectorAll('text.nodeval')).map(box);
        return { nodes, vals }; }""")
    assert boxes["vals"]  # the 6- and 5-neuron layers have room for their values

    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    pad = 4  # the current node's outline
    for b in boxes["nodes"] + boxes["vals"]:
        assert b[0] >= pad and b[1] >= pad and b[2] <= 820 - pad and b[3] <= 330 - pad, b
    for v in boxes["vals"]:
        assert not any(overlap(v, n) for n in boxes["nodes"]), v


def test_header_says_which_accuracy_is_which(page, run):
    page.evaluate("window.trainingPage.setSnap(12)")
    text = page.locator("#figures").text_content()
    after = page.evaluate("window.trainingPage.data.after.accuracy[12]")
    assert text.startswith("running: loss ")
    assert f"after epoch 12: accuracy {after:.4g}".rstrip("0") in text or \
        f"after epoch 12: accuracy {after}" in text

"""The training page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Skipped, with the reason, where Chromium or the ``playwright`` package is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd_core.graph import topological_order
from nn import MLP, fit
from nn.datasets import make_moons
from nn.losses import hinge
from viz.training import training_page

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not installed at /usr/bin/chromium (apt install chromium)",
)

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
def page(run):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1280, "height": 800})
        pg.errors = []
        pg.requests = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.on("request", lambda r: pg.requests.append(r.url))
        pg.goto(run[2].as_uri())
        pg.wait_for_function("window.trainingPage !== undefined")
        yield pg
        browser.close()


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

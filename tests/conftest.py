"""Shared test settings: Hypothesis profiles sized for a 2-core CI machine."""

import os

import pytest
from hypothesis import HealthCheck, settings

from autograd_core import primitives as _primitives

# "explore" (the default on a developer's machine) draws new examples on every run, so the
# property tests keep searching; "ci" (chosen when CI is set, as .ci/run's environment does)
# draws the same examples every time, so a landing never depends on the luck of the draw.
_common = dict(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
               print_blob=True)
settings.register_profile("explore", **_common)
settings.register_profile("ci", derandomize=True, **_common)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture(autouse=True)
def _ops_registered_by_a_test_stay_in_that_test():
    """An op a test registers with ``primitive()`` is forgotten when the test ends.

    ``expressions()`` draws from every registered op, so a deliberately odd op from one test
    (a cusp, a NaN derivative) would otherwise leak into property tests that run after it in
    the same worker.
    """
    before = dict(_primitives._registry)
    yield
    _primitives._registry.clear()
    _primitives._registry.update(before)

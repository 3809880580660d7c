"""Shared test settings: Hypothesis profiles sized for a 2-core CI machine."""

import os

import pytest
from hypothesis import HealthCheck, settings

from autograd_core import primitives as _primitives

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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

"""Recording modes under hostile use: one mode object shared by threads, tasks, decorators.

Each ``with`` block (or decorated call) must restore exactly the mode its entry found, in its
own thread or task, whatever the others sharing the same object do meanwhile.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from autograd_core import (
    Value,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    mode,
    no_grad,
)

N = 8


def _state() -> tuple[bool, bool]:
    return is_grad_enabled(), is_anomaly_enabled()


def _run_threads(target, n: int = N) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    return errors


def test_one_object_shared_by_threads_exiting_in_entry_order():
    # Entries are made strictly one after another, and the blocks close first-in first-out:
    # with the saved state kept on the shared object, the first exit took another thread's
    # token ("created in a different Context") and left threads stuck in no_grad.
    ng = no_grad()
    entered = [threading.Event() for _ in range(N)]
    may_enter = [threading.Event() for _ in range(N)]
    may_leave = [threading.Event() for _ in range(N)]
    left = [threading.Event() for _ in range(N)]
    inside: dict[int, tuple[bool, bool]] = {}
    after: dict[int, tuple[bool, bool]] = {}
    recorded: dict[int, bool] = {}

    def worker(i: int) -> None:
        base = detect_anomaly() if i % 2 else enable_grad()  # half start in another mode
        with base:
            start = _state()
            try:
                assert may_enter[i].wait(10)
                with ng:
                    entered[i].set()
                    inside[i] = _state()
                    assert may_leave[i].wait(10)
            finally:
                after[i] = _state()
                recorded[i] = not (Value(1.0) * 2).is_leaf
                left[i].set()
            assert after[i] == start

    results: list[list[BaseException]] = []
    runner = threading.Thread(target=lambda: results.append(_run_threads(worker)))
    runner.start()
    for i in range(N):
        may_enter[i].set()
        assert entered[i].wait(10)
    for i in range(N):  # first in, first out
        may_leave[i].set()
        assert left[i].wait(10)
    runner.join(20)
    assert results == [[]]
    assert inside == {i: (False, bool(i % 2)) for i in range(N)}
    assert after == {i: (True, bool(i % 2)) for i in range(N)}
    assert recorded == {i: True for i in range(N)}
    assert _state() == (True, False)
    assert mode.current() is mode.DEFAULT


def test_a_decorated_function_called_from_threads_at_once():
    ng = no_grad()
    barrier = threading.Barrier(N)
    turn = [threading.Event() for _ in range(N)]
    seen: dict[int, tuple[bool, bool]] = {}
    after: dict[int, bool] = {}

    @ng
    def step(i: int) -> tuple[bool, bool]:
        barrier.wait(10)  # all N calls are inside the block together
        assert turn[i].wait(10)
        return is_grad_enabled(), (Value(2.0) * 3).is_leaf

    def worker(i: int) -> None:
        seen[i] = step(i)
        after[i] = is_grad_enabled()
        if i + 1 < N:
            turn[i + 1].set()  # leave in thread order: not the reverse of the entry order

    turn[0].set()
    errors = _run_threads(worker)
    assert errors == []
    assert seen == {i: (False, True) for i in range(N)}
    assert after == {i: True for i in range(N)}


def test_asyncio_tasks_interleave_inside_one_shared_object():
    ng = no_grad()
    an = detect_anomaly()

    async def main() -> dict[str, object]:
        a_in = asyncio.Event()
        b_in = asyncio.Event()
        a_out = asyncio.Event()
        seen: dict[str, object] = {}

        async def task_a() -> None:
            with ng:
                a_in.set()
                await b_in.wait()  # B enters the same object while A is suspended inside
                seen["a inside"] = _state()
            seen["a after"] = _state()  # A leaves first: not B's entry that is undone
            a_out.set()

        async def task_b() -> None:
            await a_in.wait()
            with an, ng:
                b_in.set()
                await a_out.wait()
                seen["b inside"] = _state()
                await asyncio.sleep(0)
                seen["b still inside"] = _state()
            seen["b after"] = _state()

        async def bystander() -> None:
            await a_in.wait()
            await asyncio.sleep(0)
            seen["bystander"] = _state()  # a task without a block is never switched

        await asyncio.gather(task_a(), task_b(), bystander())
        seen["main"] = _state()
        return seen

    seen = asyncio.run(main())
    assert seen == {
        "a inside": (False, False),
        "a after": (True, False),
        "b inside": (False, True),
        "b still inside": (False, True),
        "b after": (True, False),
        "bystander": (True, False),
        "main": (True, False),
    }
    assert _state() == (True, False)


def test_a_decorated_coroutine_runs_in_the_mode_across_awaits():
    # The plain ContextDecorator ran only the coroutine's creation inside the block: the body
    # then recorded graphs although it was decorated with no_grad().
    @no_grad()
    async def work(x: Value) -> tuple[bool, bool]:
        await asyncio.sleep(0)
        return is_grad_enabled(), (x * x).is_leaf

    async def main() -> list[tuple[bool, bool]]:
        return list(await asyncio.gather(*(work(Value(float(i))) for i in range(5))))

    assert asyncio.run(main()) == [(False, True)] * 5
    assert is_grad_enabled()


def test_a_decorated_generator_runs_in_the_mode_and_gives_it_back_between_items():
    @detect_anomaly()
    def items():
        for _ in range(3):
            sent = yield is_anomaly_enabled()
            assert sent in (None, "ping")

    gen = items()
    assert next(gen) is True
    assert not is_anomaly_enabled()  # the caller's mode, while the generator is suspended
    assert gen.send("ping") is True
    assert list(gen) == [True]
    assert not is_anomaly_enabled()
    with pytest.raises(KeyError):
        g = items()
        next(g)
        g.throw(KeyError("x"))
    assert not is_anomaly_enabled()


def test_async_generator_functions_are_refused_rather_than_half_covered():
    async def agen():
        yield 1

    with pytest.raises(TypeError, match="async generator"):
        no_grad()(agen)
    with pytest.raises(TypeError, match="decorates a function"):
        no_grad()(3)


def test_reentrant_nesting_and_exceptions_restore_each_level():
    ng, eg, an = no_grad(), enable_grad(), detect_anomaly()

    @ng
    def down(n: int) -> list[tuple[bool, bool]]:
        trail = [_state()]
        if n:
            with eg:
                trail.append(_state())
                with an:
                    trail.extend(down(n - 1))
                    trail.append(_state())
            trail.append(_state())
        return trail

    assert down(2) == [
        (False, False), (True, False),
        (False, True), (True, True), (False, True), (True, True), (False, True),
        (True, True), (False, False),
    ]
    assert _state() == (True, False)
    with pytest.raises(RuntimeError, match="boom"), ng:
        with ng, an:
            with ng:
                raise RuntimeError("boom")
    assert _state() == (True, False)
    assert mode.current() is mode.DEFAULT  # the identity the ops' fast path tests for


def test_blocks_closed_out_of_order_leave_the_starting_mode():
    ng, an = no_grad(), detect_anomaly()
    ng.__enter__()
    an.__enter__()
    ng.__exit__(None, None, None)  # the outer block closes first (a suspended generator)
    # The inner block is still open, and only the no_grad block's change is gone (PyTorch
    # turns grad back on there too).
    assert _state() == (True, True)
    an.__exit__(None, None, None)
    assert _state() == (True, False)
    assert mode.current() is mode.DEFAULT


def test_leaving_a_block_in_a_thread_that_did_not_enter_it_is_an_error():
    ng = no_grad()
    with ng:
        errors = _run_threads(lambda i: ng.__exit__(None, None, None), n=1)
        assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
        assert "not entered" in str(errors[0])
        assert not is_grad_enabled()  # this thread's block is untouched
    assert is_grad_enabled()

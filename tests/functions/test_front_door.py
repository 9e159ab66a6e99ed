"""The front door: a run waits while several of the Invoke API's accepts are under way, for at most its window;
one caller sending one event after another holds nothing back."""

from __future__ import annotations

import asyncio

from overcast.functions.front_door import FrontDoor
from tests.functions.machine_time import MachineTime


def _door(time: MachineTime) -> FrontDoor:
    return FrontDoor(window=2.0, busy=2, quiet=0.25, now=time.now, sleep=time.sleep)  # binary fractions: exact sums


async def _waiting(door: FrontDoor, taken: float) -> asyncio.Task[None]:
    turn = asyncio.create_task(door.turn(taken))
    for _ in range(5):
        await asyncio.sleep(0)  # waiting now, its timer started
    return turn


async def test_a_run_goes_at_once_when_nothing_is_accepted() -> None:
    time = MachineTime(100.0)
    door = _door(time)
    assert door.idle
    await asyncio.wait_for(door.turn(taken=time.t), timeout=1.0)


async def test_one_caller_after_another_holds_nothing_back() -> None:
    time = MachineTime(100.0)
    door = _door(time)
    for _ in range(3):
        with door.accepting():
            assert door.idle
            await asyncio.wait_for(door.turn(taken=time.t), timeout=1.0)


async def test_a_run_waits_while_a_burst_is_under_way_and_a_moment_after() -> None:
    time = MachineTime(100.0)
    door = _door(time)
    with door.accepting(), door.accepting():
        assert not door.idle
        turn = await _waiting(door, time.t)
        await time.passed(1.0)
        assert not turn.done()
    await time.passed(0.125)
    assert not turn.done()  # fewer under way, but not for long enough
    await time.passed(0.125)
    assert turn.done() and door.idle


async def test_a_burst_that_goes_on_holds_a_run_for_its_window_and_no_longer() -> None:
    time = MachineTime(100.0)
    door = _door(time)
    taken = time.t
    with door.accepting(), door.accepting():
        turn = await _waiting(door, taken)
        await time.passed(1.75)
        assert not turn.done()
        await time.passed(0.25)
        assert turn.done() and not door.idle
        await asyncio.wait_for(door.turn(taken), timeout=1.0)  # taken long enough ago: no wait at all


async def test_a_burst_resuming_within_the_quiet_moment_keeps_the_door_busy() -> None:
    time = MachineTime(100.0)
    door = _door(time)
    with door.accepting(), door.accepting():
        turn = await _waiting(door, time.t)
    await time.passed(0.125)
    with door.accepting(), door.accepting():
        await time.passed(0.5)
        assert not turn.done() and not door.idle
    await time.passed(0.25)
    assert turn.done() and door.idle

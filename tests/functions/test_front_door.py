"""The front door's turn: a run waits while the Invoke API keeps accepting, for at most its window."""

from __future__ import annotations

import asyncio

from overcast.functions.front_door import FrontDoor


class _Time:
    """The machine's time, moved by the test: a sleep returns when the time has come."""

    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def _door(time: _Time) -> FrontDoor:
    return FrontDoor(quiet=0.005, window=2.0, now=time.now, sleep=time.sleep)


async def test_a_run_goes_at_once_when_nothing_was_accepted() -> None:
    time = _Time()
    door = _door(time)
    assert door.idle
    await door.turn(taken=time.t)
    assert time.slept == []


async def test_a_run_waits_until_the_front_door_was_quiet_for_a_while() -> None:
    time = _Time()
    door = _door(time)
    door.accepted()
    time.t += 0.002
    assert not door.idle
    await door.turn(taken=time.t)
    assert time.t == 100.005 and door.idle


async def test_while_accepts_keep_coming_a_run_waits_its_window_and_no_longer() -> None:
    time = _Time()

    async def accepting(seconds: float) -> None:
        await time.sleep(seconds)
        door.accepted()  # another accept came meanwhile

    door = FrontDoor(quiet=0.005, window=2.0, now=time.now, sleep=accepting)
    taken = time.t
    door.accepted()
    await door.turn(taken)
    assert abs(time.t - (taken + 2.0)) < 1e-9  # the window's end, not a moment later
    assert not door.idle  # still accepting: the run goes anyway


async def test_an_event_taken_long_ago_does_not_wait() -> None:
    time = _Time()
    door = _door(time)
    taken = time.t
    time.t += 5.0
    door.accepted()
    await door.turn(taken)
    assert time.slept == []


async def test_the_real_clock_waits_milliseconds_not_more() -> None:
    door = FrontDoor()
    door.accepted()
    await asyncio.wait_for(door.turn(taken=door.now()), timeout=5.0)
    assert door.idle

"""Tests for explainer.course._time_limit: each way of keeping the limit stops `while True: pass`, reports
what the function returned or raised, and leaves the process as it found it (signal handler, timer).
"""

import signal
import threading
import time

import pytest

from explainer.course import _time_limit
from explainer.course._time_limit import Outcome, run_with_time_limit


def forever():
    while True:
        pass


def boom(x):
    raise KeyError(f"no {x}")


def in_thread(fn):
    box = {}
    worker = threading.Thread(target=lambda: box.update(out=fn()))
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    return box["out"]


def test_main_thread_uses_the_alarm_and_stops_a_loop():
    start = time.monotonic()
    out = run_with_time_limit(forever, seconds=0.3)
    assert out.timed_out and out.how == "signal" and out.seconds == 0.3
    assert time.monotonic() - start < 2
    assert run_with_time_limit(lambda a, b: a + b, (2, 3), seconds=1).value == 5


def test_errors_come_back_with_their_frames():
    out = run_with_time_limit(boom, ("x",), seconds=1)
    assert isinstance(out.error, KeyError) and not out.timed_out
    file, line, name, source = out.frames[-1]
    assert name == "boom" and "raise KeyError" in source


def test_the_previous_handler_and_timer_are_restored():
    seen = []
    old = signal.signal(signal.SIGALRM, lambda *a: seen.append("outer"))
    old_timer = signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        run_with_time_limit(forever, seconds=0.2)
        run_with_time_limit(lambda: 1, seconds=0.2)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 95 < left <= 100  # the outer timer runs on, less the time spent
        assert signal.getsignal(signal.SIGALRM) is not None and not seen
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old_timer)
        signal.signal(signal.SIGALRM, old)


def test_a_worker_thread_uses_a_forked_child_that_is_killed():
    out = in_thread(lambda: run_with_time_limit(forever, seconds=0.3))
    assert out.timed_out and out.how == "process"
    ok = in_thread(lambda: run_with_time_limit(lambda a: [a, a * 2], (21,), seconds=5))
    assert ok.value == [21, 42] and ok.how == "process"
    err = in_thread(lambda: run_with_time_limit(boom, ("y",), seconds=5))
    assert isinstance(err.error, KeyError) and err.frames[-1][2] == "boom"


def test_an_unpicklable_error_or_result_is_still_an_outcome():
    class Weird(Exception):
        def __reduce__(self):
            raise TypeError("no pickling")

    def raise_weird():
        raise Weird("odd")

    out = in_thread(lambda: run_with_time_limit(raise_weird, seconds=5))
    assert isinstance(out.error, RuntimeError) and "Weird: odd" in str(out.error)
    out = in_thread(lambda: run_with_time_limit(lambda: lambda: 1, seconds=5))
    assert isinstance(out.error, RuntimeError) and "cannot be sent back" in str(out.error)


def test_without_fork_a_worker_thread_falls_back_to_a_daemon_thread(monkeypatch):
    monkeypatch.setattr(_time_limit.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    out = in_thread(lambda: run_with_time_limit(time.sleep, (5,), seconds=0.2))
    assert out.timed_out and out.how == "thread"
    assert in_thread(lambda: run_with_time_limit(lambda: 7, seconds=1)).value == 7


@pytest.mark.parametrize("seconds", [0, -1, 3601, "1", True, float("nan")])
def test_seconds_are_checked(seconds):
    with pytest.raises(ValueError, match="seconds must be a number of seconds"):
        run_with_time_limit(forever, seconds=seconds)


def test_outcome_defaults():
    assert Outcome() == Outcome(value=None, error=None, frames=(), timed_out=False, seconds=0.0, how="signal")

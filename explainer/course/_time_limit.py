"""Run a learner's function with a time limit, so that ``while True: pass`` cannot freeze the kernel.

``run_with_time_limit(fn, args, seconds=...)`` returns an ``Outcome``: the value, or the exception the
function raised (with its traceback as plain frames), or ``timed_out``. It never raises for what the
function does; the exercise checkers turn the outcome into a message. How the limit is kept:

- **In the main thread** (a Jupyter kernel runs cells and widget callbacks there): a SIGALRM interval
  timer (``signal.setitimer``). When it fires, an exception is raised inside the function at its next
  Python bytecode, which stops any Python loop; it fires again every 50 ms until the call has unwound,
  so a learner's ``except Exception`` (or even a bare ``except``) inside the loop cannot swallow it for
  good. The function runs in the kernel itself, so its prints show and its tracebacks are exact. The
  previous SIGALRM handler and timer (pytest-timeout's, say) are restored afterwards. A single C call
  that never returns to Python (``sum(range(10**12))``) is only stopped when it returns.
- **Elsewhere, where fork exists** (a worker thread on Linux or macOS): a forked child process runs the
  function and sends back the result; past the limit it is killed, which stops anything. Arguments
  reach the child by the fork itself; the result comes back pickled.
- **Otherwise** (a worker thread on Windows): a daemon thread, waited for ``seconds``; past that the
  outcome is ``timed_out`` while the thread runs on in the background (nothing can stop it there).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

# How often the alarm repeats after the limit, until the call has unwound.
_REPEAT_SECONDS = 0.05

Frame = tuple[str, int, str, str]  # (file name, line number, function name, source line)


@dataclass(frozen=True)
class Outcome:
    """What a call under a time limit did: returned ``value``, raised ``error``, or ran out of time.

    frames: the traceback of ``error``, innermost last, as (file, line, function, source line).
    how: "signal", "process" or "thread" (see the module docstring).
    """

    value: object = None
    error: BaseException | None = None
    frames: tuple[Frame, ...] = ()
    timed_out: bool = False
    seconds: float = 0.0
    how: str = "signal"


class _Expired(BaseException):
    """Raised inside the function when the alarm fires (a BaseException, so ``except Exception`` misses it)."""


def _frames(err: BaseException) -> tuple[Frame, ...]:
    return tuple((f.filename, f.lineno or 0, f.name, f.line or "") for f in traceback.extract_tb(err.__traceback__))


def run_with_time_limit(fn: Callable, args: tuple = (), *, seconds: float) -> Outcome:
    """Call ``fn(*args)``, stopping it after ``seconds``; an Outcome either way (see the module docstring)."""
    if not (isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 < seconds <= 3600):
        raise ValueError(f"seconds must be a number of seconds from 0 to 3600; got {seconds!r}")
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(fn, args, float(seconds))
    if "fork" in multiprocessing.get_all_start_methods():
        return _in_child(fn, args, float(seconds))
    return _in_thread(fn, args, float(seconds))


def _with_alarm(fn: Callable, args: tuple, seconds: float) -> Outcome:
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            raise _Expired

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    start = time.monotonic()
    try:
        try:
            try:
                value = fn(*args)
            finally:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Expired:
            return Outcome(timed_out=True, seconds=seconds, how="signal")
        except Exception as err:  # the learner's bug is the lesson, not a crash
            return Outcome(error=err, frames=_frames(err), seconds=seconds, how="signal")
        return Outcome(value=value, seconds=seconds, how="signal")
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL if old_handler is None else old_handler)
        if old_delay > 0:  # someone else's timer was running: give it back what is left of it
            left = max(old_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


def _child(conn, fn: Callable, args: tuple) -> None:
    try:
        message = ("value", fn(*args))
    except BaseException as err:
        frames = _frames(err)
        try:
            pickle.dumps(err)
            error = err
        except Exception:
            error = RuntimeError(f"{type(err).__name__}: {err}")
        message = ("error", error, frames)
    try:
        conn.send(message)
    except Exception as err:  # an unpicklable result
        conn.send(("error", RuntimeError(f"the function's result cannot be sent back: {err}"), ()))
    finally:
        conn.close()


def _in_child(fn: Callable, args: tuple, seconds: float) -> Outcome:
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(seconds):
            return Outcome(timed_out=True, seconds=seconds, how="process")
        try:
            message = receive.recv()
        except (EOFError, OSError):
            code = process.exitcode
            error = RuntimeError(f"the function's process ended without an answer (exit code {code})")
            return Outcome(error=error, seconds=seconds, how="process")
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
    if message[0] == "value":
        return Outcome(value=message[1], seconds=seconds, how="process")
    return Outcome(error=message[1], frames=tuple(message[2]), seconds=seconds, how="process")


def _in_thread(fn: Callable, args: tuple, seconds: float) -> Outcome:
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except Exception as err:
            box["error"] = err

    worker = threading.Thread(target=target, daemon=True, name="explainer-time-limit")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return Outcome(timed_out=True, seconds=seconds, how="thread")
    if "error" in box:
        return Outcome(error=box["error"], frames=_frames(box["error"]), seconds=seconds, how="thread")
    return Outcome(value=box.get("value"), seconds=seconds, how="thread")


__all__ = ["Outcome", "run_with_time_limit"]

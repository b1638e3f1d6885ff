"""What every locustfile of `make bench` shares: the fixture, tokens and the recorder.

The runner passes, through the environment:
  BENCH_FIXTURE  a JSON file with what the scenario needs (ids, tokens)
  BENCH_OUT      where to write the results (JSON)
  BENCH_WARMUP   seconds at the start that are not measured
  BENCH_MEASURE  seconds that are measured after the warm-up

Locust's own statistics are not used: the recorder keeps every response time measured after the
warm-up (exact percentiles), and every status code of the whole run (for the invariants).
"""

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import events

_FIXTURE_FILE = os.environ.get("BENCH_FIXTURE")
FIXTURE: dict[str, Any] = json.loads(Path(_FIXTURE_FILE).read_text()) if _FIXTURE_FILE else {}
WARMUP = float(os.environ.get("BENCH_WARMUP", "0"))
MEASURE = float(os.environ.get("BENCH_MEASURE", "30"))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


class Recorder:
    def __init__(self) -> None:
        self.started = time.time()
        self.samples: dict[str, list[float]] = defaultdict(list)  # ms, measured window only
        self.all_samples: dict[str, list[float]] = defaultdict(list)  # ms, whole run
        self.statuses: dict[str, Counter] = defaultdict(Counter)  # whole run
        self.measured_statuses: dict[str, Counter] = defaultdict(Counter)
        self.extra: dict[str, Any] = {}
        self.window: tuple[float, float] | None = None
        self.stopped: float | None = None

    def measure_from(self) -> float:
        return self.started + WARMUP

    def start_window(self, at: float | None = None) -> None:
        """Measure from now (or `at`) instead of after the fixed warm-up."""
        self.window = (at or time.time(), float("inf"))

    def in_window(self, start_time: float) -> bool:
        if self.window is not None:
            return self.window[0] <= start_time < self.window[1]
        return start_time >= self.measure_from()

    def on_request(self, request_type: str, name: str, response_time: float, response: Any, exception: Any,
                   start_time: float, **kwargs: Any) -> None:  # fmt: skip
        status = getattr(response, "status_code", 0) or 0
        if exception is not None and not status:
            status = 0
        self.statuses[name][status] += 1
        self.all_samples[name].append(response_time)
        # A response counts in the window it *completes* in: requests/s is what the server finished.
        if self.in_window(start_time + response_time / 1000):
            self.samples[name].append(response_time)
            self.measured_statuses[name][status] += 1

    def write(self, duration: float) -> None:
        out = {"duration": duration, "endpoints": {}, "extra": self.extra}
        for name in sorted(set(self.statuses) | set(self.samples)):
            times = sorted(self.samples.get(name, []))
            everything = sorted(self.all_samples.get(name, []))
            out["endpoints"][name] = {
                "count": len(times),
                "p50": _percentile(times, 50),
                "p99": _percentile(times, 99),
                "all_count": len(everything),
                "all_p50": _percentile(everything, 50),
                "all_p99": _percentile(everything, 99),
                "statuses": {str(k): v for k, v in self.statuses[name].items()},
                "measured_statuses": {str(k): v for k, v in self.measured_statuses[name].items()},
            }
        Path(os.environ["BENCH_OUT"]).write_text(json.dumps(out, indent=1))


def _percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[k], 2)


RECORDER = Recorder()
events.request.add_listener(RECORDER.on_request)


@events.test_start.add_listener
def _started(environment: Any, **kwargs: Any) -> None:
    RECORDER.started = time.time()


@events.test_stop.add_listener
def _stopped(environment: Any, **kwargs: Any) -> None:
    RECORDER.stopped = time.time()


@events.quitting.add_listener
def _quitting(environment: Any, **kwargs: Any) -> None:
    # After every scenario's own test_stop listener has filled `RECORDER.extra`.
    stopped = RECORDER.stopped or time.time()
    if RECORDER.window is not None:
        start, end = RECORDER.window
        duration = min(stopped, end) - start
    else:
        duration = min(MEASURE, stopped - RECORDER.measure_from())
    RECORDER.write(max(duration, 0.001))

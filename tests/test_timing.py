import time

from tinytorch.timing import time_per_call


def test_fast_calls_are_repeated_until_the_clock_can_see_them():
    calls = []
    seconds = time_per_call(lambda: calls.append(1), repeat=2, min_seconds=0.005)
    assert len(calls) > 100 and 0 < seconds < 1e-3


def test_slow_calls_run_once_per_round_and_measure_their_duration():
    calls = []
    seconds = time_per_call(lambda: (calls.append(1), time.sleep(0.02)), repeat=2, min_seconds=0.01)
    assert len(calls) == 2 and 0.019 < seconds < 0.1

"""The parity suite needs torch (a test-only dependency): without it every parity test FAILS with how to
install it or leave the suite out, so a missing torch can never pass as a green run."""
import pytest

import parity


def pytest_runtest_call(item):
    # runs for the tests of this directory only, before the test itself: a failure, not a setup error
    if parity.torch is None:
        pytest.fail(parity.MISSING_TORCH, pytrace=False)

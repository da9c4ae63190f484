"""What a failing check tells the learner: the part, the case it tried, and the learner's own failing line."""
import pytest

from tinytorch.checks import _listeners, check, on_outcome, trying
from tinytorch.checks.activations import check_relu
from tinytorch.nn import Module


class ReLUWithATypo(Module):
    def forward(self, input):
        return input.data.maximun(0)  # the learner's typo: the line the message must show


def test_a_crash_shows_the_learners_line_and_no_frame_of_tinytorch():
    with pytest.raises(AssertionError) as failure:
        check_relu(ReLUWithATypo)
    message = str(failure.value)
    assert message.startswith("Part 1 · ReLU: your code raised AttributeError:"), message
    assert "return input.data.maximun(0)" in message and "test_check_messages.py" in message, message
    assert "tinytorch/" not in message, f"a frame of the package (Module.__call__, the check) is shown:\n{message}"


def test_the_case_being_tried_is_named_and_unfinished_work_points_at_the_hints():
    @check("Part 9 · example")
    def check_example(fn):
        with trying("fn(2) on an int"):
            fn(2)

    def crashes(value):
        return value.shape  # an int has no shape

    with pytest.raises(AssertionError, match=r"Part 9 · example: while trying fn\(2\) on an int, your code raised "
                                             r"AttributeError: 'int' object has no attribute 'shape'"):
        check_example(crashes)

    def unfinished(value):
        raise NotImplementedError("Implement fn: see the hints above this cell (open Hint 1 first).")

    with pytest.raises(AssertionError, match="Part 9 · example: not implemented yet. Implement fn: see the hints"):
        check_example(unfinished)


def test_every_outcome_reaches_the_listeners_passed_or_not():
    outcomes = []
    listener = on_outcome(outcomes.append)
    try:
        check_relu(ReLUWithATypo)
    except AssertionError as failure:
        message = str(failure)
    finally:
        _listeners.remove(listener)
    from tinytorch.nn import ReLU
    check_relu(ReLU)  # no listener any more: nothing recorded
    assert outcomes == [{"module": "activations", "check": "check_relu", "title": "Part 1 · ReLU",
                         "passed": False, "message": message}], outcomes
    outcomes.clear()
    on_outcome(outcomes.append)
    try:
        check_relu(ReLU)
    finally:
        _listeners.remove(outcomes.append)
    assert outcomes == [{"module": "activations", "check": "check_relu", "title": "Part 1 · ReLU",
                         "passed": True, "message": None}], outcomes

"""The two tests every check file shares: the check accepts the reference and rejects each mutant.

A test file lists its cases and takes both tests from `make_mutant_tests`:

    CASES = [
        (checks.check_relu, ReLU, [(ReLUInPlace, "changed its input"), ReLUReturnsFloat64]),
        (checks.check_checkpoint, (save_checkpoint, load_checkpoint), [(save_checkpoint, load_model_only)]),
    ]
    test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)

The reference and each mutant are the check's arguments: one object, or a tuple of them. A mutant may be
paired with a reason, `(arguments, "phrase")`: the failure message must then contain that phrase, so the
mutant is rejected for the right reason and not by accident.
"""
import pytest


def _arguments(value):
    return value if isinstance(value, tuple) else (value,)


def _mutant_and_reason(entry):
    """`(arguments, "reason")` or `(arguments, None)` -> (arguments, reason); bare arguments -> (arguments, None)."""
    if isinstance(entry, tuple) and len(entry) == 2 and (entry[1] is None or isinstance(entry[1], str)):
        return _arguments(entry[0]), entry[1]
    return _arguments(entry), None


def _name(value):
    return getattr(value, "__name__", repr(value))


def _mutant_id(check, reference, mutant):
    """check-mutant: the mutant's arguments that differ from the reference's (all of them if none do)."""
    changed = [m for i, m in enumerate(mutant) if i >= len(reference) or m is not reference[i]] or list(mutant)
    return "-".join([check.__name__] + [_name(m) for m in changed])


def make_mutant_tests(cases):
    """cases: [(check, reference, [mutant or (mutant, reason), ...]), ...] -> the two test functions."""
    references = [(check, _arguments(reference)) for check, reference, _ in cases]
    mutants = [(check, _arguments(reference), *_mutant_and_reason(entry))
               for check, reference, entries in cases for entry in entries]

    @pytest.mark.parametrize("check,reference", references, ids=[check.__name__ for check, _ in references])
    def test_check_accepts_the_reference(check, reference, capsys):
        check(*reference)
        assert "✅" in capsys.readouterr().out

    @pytest.mark.parametrize("check,mutant,reason", [(check, mutant, reason) for check, _, mutant, reason in mutants],
                             ids=[_mutant_id(check, reference, mutant) for check, reference, mutant, _ in mutants])
    def test_check_rejects_a_wrong_implementation(check, mutant, reason):
        with pytest.raises(AssertionError) as failure:
            check(*mutant)
        assert "Part" in str(failure.value)  # the message names the part, not a bare traceback
        if reason is not None:
            assert reason in str(failure.value)

    return test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation

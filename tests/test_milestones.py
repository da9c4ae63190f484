"""Each milestone runs as a plain script and reaches its target; the targets are read from its RESULT line."""
import os
import re
import subprocess
import sys
import time

import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MILESTONES = ROOT / "content" / "milestones"


def run_milestone(filename):
    """Run content/milestones/<filename> under this interpreter; returns (RESULT line, full output, seconds)."""
    # Agg: no display needed for the plots. One BLAS thread: the browser has one, the matrices are tiny,
    # and on a busy machine (parallel test runs) extra BLAS threads make these scripts many times slower.
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, str(MILESTONES / filename)], cwd=ROOT, env=env,
                               capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{filename} exited with {completed.returncode} after {seconds:.1f} s:\n{output[-3000:]}"
    results = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(results) == 1, f"{filename} should print exactly one RESULT line, printed {len(results)}:\n{output[-3000:]}"
    return results[0], output, seconds


def parse(pattern, line, filename):
    match = re.search(pattern, line)
    assert match, f"{filename}: RESULT line not in the expected format {pattern!r}: {line!r}"
    return match.groups()


def test_1958_perceptron_learns_and_or_and_a_separable_cloud():
    line, _, seconds = run_milestone("1958_perceptron.py")
    for name in ("AND", "OR", "blobs"):
        accuracy, epochs = parse(rf"\b{name} ([\d.]+)% in (\d+) epochs", line, "1958_perceptron.py")
        assert float(accuracy) == 100.0, f"perceptron on {name}: {accuracy}% (target 100%); {line} [{seconds:.1f} s]"
        assert int(epochs) >= 1, line


def test_1969_single_layer_fails_xor_and_mlp_solves_it():
    line, _, seconds = run_milestone("1969_xor.py")
    linear_best, seeds, mlp_accuracy, epochs = parse(
        r"single layer best ([\d.]+)% over (\d+) seeds; MLP 2-4-1 ([\d.]+)% in (\d+) epochs", line, "1969_xor.py")
    assert int(seeds) >= 5, f"too few seeds for a 'best of several' claim: {line}"
    assert float(linear_best) <= 75.0, f"single layer reached {linear_best}% on XOR (must be <= 75%): {line}"
    assert float(mlp_accuracy) == 100.0, f"MLP reached {mlp_accuracy}% on XOR (target 100%): {line} [{seconds:.1f} s]"


RESULT_1986 = r"test accuracy ([\d.]+)% after (\d+) epochs in ([\d.]+) s \(single layer ([\d.]+)%\)"


def test_1986_mlp_reaches_95_percent_on_tinydigits_reproducibly():
    first, _, seconds = run_milestone("1986_mlp_digits.py")
    accuracy, epochs, train_seconds, linear_accuracy = parse(RESULT_1986, first, "1986_mlp_digits.py")
    assert float(accuracy) >= 95.0, (f"MLP test accuracy {accuracy}% < 95% after {epochs} epochs "
                                     f"(training {train_seconds} s, script {seconds:.1f} s): {first}")
    assert float(accuracy) > float(linear_accuracy), f"the MLP should beat the single layer: {first}"
    # Seeded: a second run must give the same accuracies (only the measured time may differ).
    second, _, _ = run_milestone("1986_mlp_digits.py")
    again = parse(RESULT_1986, second, "1986_mlp_digits.py")
    assert (again[0], again[3]) == (accuracy, linear_accuracy), f"not reproducible:\n{first}\n{second}"


RESULT_1998 = (r"mean test accuracy ([\d.]+)% over (\d+) seeds \(([\d.%, ]+)\) with (\d+) parameters after (\d+) "
               r"epochs, ([\d.]+) s per seed \(MLP ([\d.]+)% with (\d+) parameters\)")


def test_1998_cnn_beats_the_mlp_with_fewer_parameters_over_three_seeds():
    line, _, seconds = run_milestone("1998_cnn.py")
    accuracy, seeds, per_seed, parameters, epochs, train_seconds, mlp_accuracy, mlp_parameters = parse(
        RESULT_1998, line, "1998_cnn.py")
    per_seed = [float(a.rstrip("%")) for a in per_seed.split(", ")]
    assert int(seeds) == 3 and len(per_seed) == 3, f"the target is a mean over 3 seeds: {line}"
    assert abs(sum(per_seed) / 3 - float(accuracy)) <= 0.11, f"the mean does not match the seeds: {line}"
    assert float(accuracy) >= 98.0, f"CNN mean test accuracy {accuracy}% < 98% ({train_seconds} s per seed, " \
                                    f"script {seconds:.1f} s): {line}"
    assert int(parameters) < int(mlp_parameters), f"the CNN should have fewer parameters than the MLP: {line}"
    assert float(accuracy) > float(mlp_accuracy), f"the CNN should beat the MLP: {line}"


RESULT_2017 = (r"val_loss ([\d.]+) bigram ([\d.]+) reverse_exact ([\d.]+)% no_attention ([\d.]+)% "
               r"in ([\d.]+) s")


def test_2017_transformer_beats_the_bigram_and_reverses_digits_reproducibly():
    first, _, seconds = run_milestone("2017_transformer.py")
    val_loss, bigram, reverse, blind, train_seconds = parse(RESULT_2017, first, "2017_transformer.py")
    assert float(val_loss) <= float(bigram) - 0.3, (f"GPT validation loss {val_loss} is not 0.3 nats/char below "
                                                    f"the bigram's {bigram}: {first}")
    assert float(reverse) >= 95.0, f"reversal exact match {reverse}% < 95% [{seconds:.1f} s]: {first}"
    assert float(blind) < 5.0, f"without attention the reversal should fail, got {blind}%: {first}"
    second, _, _ = run_milestone("2017_transformer.py")
    again = parse(RESULT_2017, second, "2017_transformer.py")
    assert again[:4] == (val_loss, bigram, reverse, blind), f"not reproducible:\n{first}\n{second}"


RESULT_2018 = (r"digits accuracy ([\d.]+)% target 95% time_to_quality ([\d.]+) s p50 ([\d.]+) ms; lm val_loss "
               r"([\d.]+) target 1.00 p50 ([\d.]+) ms/token; (\d+) submissions valid on (\w+)")


def test_2018_mlperf_submissions_meet_their_targets_and_validate(tmp_path, monkeypatch):
    from tinytorch.capstone import load_submission

    monkeypatch.setenv("TINYTORCH_SUBMISSIONS", str(tmp_path))
    line, _, seconds = run_milestone("2018_mlperf.py")
    accuracy, ttq, p50, val_loss, lm_p50, count, runtime = parse(RESULT_2018, line, "2018_mlperf.py")
    assert float(accuracy) >= 95.0 and float(val_loss) <= 1.0, f"{line} [{seconds:.1f} s]"
    assert int(count) == 2 and runtime == "cpython", line
    files = sorted(tmp_path.glob("*.json"))
    assert [load_submission(f)["task"] for f in files] == ["tinydigits-classification", "tinytalks-lm"], files
    assert load_submission(files[1])["quality"]["value"] == pytest.approx(float(val_loss), abs=5e-4)

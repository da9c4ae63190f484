"""tinytorch.utils.benchmark, as torch.utils.benchmark: Timer, Measurement, TaskSpec, Compare (module 19 writes
them in tinytorch/core/benchmarking.py), with the course's additions median_ci, ab_test, ABResult,
interleaved_autorange and clock_resolution, which PyTorch does not have."""
from tinytorch.core.benchmarking import (ABResult, Compare, Measurement, TaskSpec, Timer, ab_test, clock_resolution,
                                         interleaved_autorange, median_ci)

__all__ = ["Timer", "Measurement", "TaskSpec", "Compare", "median_ci", "ab_test", "ABResult", "interleaved_autorange",
           "clock_resolution"]

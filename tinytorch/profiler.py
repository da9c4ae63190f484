"""tinytorch.profiler: torch.profiler's names (module 14 writes them in tinytorch/core/profiling.py)."""
from tinytorch.core.profiling import EventList, FunctionEventAvg, profile, record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEventAvg"]

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# One BLAS thread for the whole suite and the notebook subprocesses: the browser runs one thread, and on
# a loaded 2-core machine OpenBLAS threads made small-matrix code up to 30x slower and timings erratic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

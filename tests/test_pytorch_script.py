"""A PyTorch script runs on tinytorch by changing its imports, and learns as well as on torch."""
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent / "scripts" / "pytorch_mlp.py"
IMPORT = re.compile(r"^(import|from) torch\b", re.M)


def on_tinytorch(source):
    """The script with only its import lines changed: `torch` -> `tinytorch`, `import torch` aliased."""
    source = re.sub(r"^import torch$", "import tinytorch as torch", source, flags=re.M)
    return IMPORT.sub(r"\1 tinytorch", source)


def run(source):
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return dict(field.split("=") for field in line.split()[1:])


def test_only_import_lines_change():
    original = SCRIPT.read_text().splitlines()
    ported = on_tinytorch(SCRIPT.read_text()).splitlines()
    changed = [new for old, new in zip(original, ported) if old != new]
    assert len(original) == len(ported) and len(changed) == 6
    assert all(line.startswith(("import tinytorch", "from tinytorch")) for line in changed)


def test_the_pytorch_script_trains_the_same_on_tinytorch():
    source = SCRIPT.read_text()
    ours, theirs = run(on_tinytorch(source)), run(source)
    print(f"tinytorch: {ours}\ntorch:     {theirs}")
    assert ours["parameters"] == theirs["parameters"] == "1251"
    assert ours["lr_per_epoch"] == theirs["lr_per_epoch"]  # the same warm-up + cosine schedule
    assert ours["same_after_load"] == theirs["same_after_load"] == "True"
    # different random streams (init, shuffling, dropout), the same learning: both well above chance (1/3)
    assert float(ours["accuracy"]) >= 0.85 and float(theirs["accuracy"]) >= 0.85
    assert abs(float(ours["accuracy"]) - float(theirs["accuracy"])) <= 0.06

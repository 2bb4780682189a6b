"""Generated source is deterministic: byte-identical in separate processes
with different hash seeds (DESIGN.md section 4)."""
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
MODULE = HERE / "determinism_mlp.py"
SEPARATOR = "\n# ---- next generated function ----\n"

SCRIPT = textwrap.dedent(f"""
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("determinism_mlp",
                                                  {str(MODULE)!r})
    module = importlib.util.module_from_spec(spec)
    sys.modules["determinism_mlp"] = module
    spec.loader.exec_module(module)
    sys.stdout.write({SEPARATOR!r}.join(f.source for f in module.GENERATED))
""")


def sources_in_subprocess(hash_seed):
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(hash_seed)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def sources_in_this_process():
    spec = importlib.util.spec_from_file_location("determinism_mlp", MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["determinism_mlp"] = module
    spec.loader.exec_module(module)
    return SEPARATOR.join(f.source for f in module.GENERATED).encode()


def test_source_is_identical_across_hash_seeds():
    first = sources_in_subprocess(0)
    second = sources_in_subprocess(2718281)
    assert first == second
    text = first.decode()
    assert text.count(SEPARATOR) == 3
    for name in ("def mlp_loss", "def grad_mlp_loss",
                 "def value_and_grad_mlp_loss", "def training_step"):
        assert name in text, name
    # ... and equal to what this process (a third hash seed) generates.
    assert sources_in_this_process() == first

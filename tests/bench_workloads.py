"""The benchmark's workloads (bench/workloads.py), loaded as a module for tests."""
import importlib.util
import pathlib


def load():
    """bench/workloads.py: its functions, hand-written gradients and inputs."""
    path = pathlib.Path(__file__).parent.parent / 'bench' / 'workloads.py'
    spec = importlib.util.spec_from_file_location('bench_workloads', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLE = os.path.join(ROOT, "examples", "modulus_sym_sweep", "multirun")
sys.path.insert(0, HERE)


# Modules that are about the references through and through.
collect_ignore = ["test_reference.py", "test_example.py"] if os.environ.get("MODAGG_CORE_ONLY") == "1" else []


def pytest_configure(config):
    config.addinivalue_line("markers", "references: needs TensorBoard, tensorboardX or torch to compare with")


def pytest_collection_modifyitems(config, items):
    """MODAGG_CORE_ONLY=1 (the runs on the oldest and newest protobuf) skips what needs the references."""
    if os.environ.get("MODAGG_CORE_ONLY") != "1":
        return
    skip = pytest.mark.skip(reason="MODAGG_CORE_ONLY: TensorBoard and torch are not installed here")
    for item in items:
        if "references" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def example(tmp_path):
    """A writable copy of the bundled Modulus Sym sweep."""
    target = tmp_path / "multirun"
    shutil.copytree(EXAMPLE, target)
    for folder, dirs, files in os.walk(target):
        for name in dirs + files:
            os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
    return target


# Hypothesis: a short run in `make test`, a long campaign in `make fuzz`.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLE = os.path.join(ROOT, "examples", "modulus_sym_sweep", "multirun")
sys.path.insert(0, HERE)


@pytest.fixture
def example(tmp_path):
    """A writable copy of the bundled Modulus Sym sweep."""
    target = tmp_path / "multirun"
    shutil.copytree(EXAMPLE, target)
    for folder, dirs, files in os.walk(target):
        for name in dirs + files:
            os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
    return target

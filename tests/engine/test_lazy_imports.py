"""Importing the engine loads what every job needs and nothing a job may not need."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return set(json.loads(out.stdout))


def test_the_engine_does_not_import_torchvision_models_until_a_backbone_is_built():
    # torchvision.models pulls torch._dynamo in: about 4 s of a cold job's start.
    modules = loaded_after("import workers.engine; workers.engine.validate_graph("
                           "workers.engine.load_template('resnet18'))")
    assert "workers.engine.registry.ops.backbones" in modules
    assert "torchvision.models" not in modules
    built = loaded_after("from workers.engine import get_op\n"
                         "get_op('ResNet18').build({'num_classes': 10, 'head': 'classifier', "
                         "'weights_file': '', 'freeze': False}, [(1, 3, 32, 32)])")
    assert "torchvision.models" in built

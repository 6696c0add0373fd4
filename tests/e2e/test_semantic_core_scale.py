"""At the 2020 report's full volume (scale 1.0, about 560,000 dossier rows), the release is
the one recorded (tests/dbt/fixtures, issue 16): marts, gate results and dashboard
numbers, but for the differences tests/dbt/baseline.py lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pipeline_env
from tests.dbt.baseline import BASELINES, fingerprint_differences

pytestmark = pytest.mark.slow
CCHC = str(Path(sys.executable).parent / "cchc")


def test_full_scale_release_is_the_one_recorded(tmp_path: Path, scale1_landing: Path) -> None:
    env = pipeline_env(tmp_path, CCHC_LANDING=str(scale1_landing))
    run = subprocess.run([CCHC, "run"], env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    recorded = json.loads((BASELINES / "release_baseline_scale1.json").read_text())
    assert fingerprint_differences(recorded, Path(env["CCHC_SERVING"])) == []

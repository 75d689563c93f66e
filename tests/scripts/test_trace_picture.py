"""scripts/trace_picture.py draws a gpunet Chrome trace: a row of ops and a row of copies per device."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpunet as gn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
trace_picture = pytest.importorskip("trace_picture")


def _trace():
    x = gn.placeholder(gn.float32, [4, 3], name="x")
    with gn.device("/gpu:1"):
        y = gn.reduce_sum(gn.square(x, name="sq"), name="total")
    metadata = gn.RunMetadata()
    with gn.Session() as sess:
        sess.run(y, {x: np.ones((4, 3), np.float32)}, options=gn.RunOptions(trace_level=3), run_metadata=metadata)
    return json.loads(gn.timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())


def test_rows_put_each_devices_ops_and_its_copies_on_their_own_rows(vgpus):
    table = trace_picture.rows(_trace())
    assert [label for label, _ in table] == ["GPU:1 ops", "GPU:1 copies in"]
    assert [e["name"] for e in table[0][1]] == ["sq", "total"]
    assert [(e["name"], e["args"]["bytes"]) for e in table[1][1]] == [("feed x:0", 48)]


def test_the_script_draws_a_png_from_a_trace_file(vgpus, tmp_path):
    pytest.importorskip("matplotlib")
    trace_file, picture = tmp_path / "trace.json", tmp_path / "trace.png"
    trace_file.write_text(json.dumps(_trace()))
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "trace_picture.py"), str(trace_file), str(picture)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""``gpunet-bench plot``: a PNG of images/sec and efficiency against devices from results files."""
import json
import struct

import pytest

from gpunet.bench import plot
from gpunet.bench.records import FORMAT

from .helpers import bench


def fake_record(model, update, devices, rate):
    return {"configuration": {"model": model, "variable_update": update, "local_parameter_device": "/cpu:0",
                              "optimizer": "sgd", "forward_only": False},
            "batch_size": 32, "num_devices": devices, "images_per_sec": {"total": rate}}


def write(path, records):
    path.write_text(json.dumps({"format": FORMAT, "records": records}))
    return str(path)


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def test_series_groups_records_by_configuration():
    lines = plot.series([fake_record("lenet", "replicated", 2, 300.0), fake_record("lenet", "replicated", 1, 200.0),
                         fake_record("lenet", "parameter_server", 1, 100.0)])
    replicated = lines["lenet replicated (params /cpu:0), batch 32, sgd"]
    assert [(r["devices"], r["images_per_sec"]) for r in replicated] == [(1, 200.0), (2, 300.0)]
    assert replicated[1]["speedup"] == 1.5 and replicated[1]["efficiency"] == 0.75
    assert len(lines) == 2


def test_plot_makes_a_png_from_two_json_files(tmp_path):
    first = write(tmp_path / "ps.json", [fake_record("lenet", "parameter_server", n, 100.0 * n ** 0.8)
                                         for n in (1, 2, 4)])
    second = write(tmp_path / "rep.json", [fake_record("lenet", "replicated", n, 90.0 * n ** 0.9) for n in (1, 2, 4)])
    out = tmp_path / "figures" / "scaling.png"
    out.parent.mkdir()
    result = bench("plot", first, second, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out} (2 configuration(s))"
    assert png_size(out) == (1100, 420)  # figsize (11, 4.2) at 100 dpi
    assert out.stat().st_size > 10_000  # two panels with lines, not an empty canvas


@pytest.mark.parametrize("content, message", [
    ({"records": []}, "is not a gpunet-bench results file (expected format 'gpunet-bench/1')"),
    (None, "No such file or directory"),
])
def test_plot_rejects_what_is_not_a_results_file(tmp_path, content, message):
    path = tmp_path / "other.json"
    if content is not None:
        path.write_text(json.dumps(content))
    result = bench("plot", str(path), "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2 and not (tmp_path / "x.png").exists()
    (line,) = result.stderr.splitlines()
    assert line.startswith("gpunet-bench plot: error: cannot read the results: ") and message in line


def test_micro_is_a_subcommand_and_the_old_invocation_still_works(tmp_path):
    report = {"datetime": "2026-01-02T03:04:05", "machine_info": {"cpu": {"brand_raw": "Test CPU"}},
              "benchmarks": [{"group": "session-run-tiny-fed", "extra_info": {"impl": "gpunet"},
                              "stats": {"median": 9e-6, "min": 8e-6}}]}
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(report))
    new, old = bench("micro", "--table", str(path)), bench("--table", str(path))
    assert new.returncode == 0 == old.returncode and new.stdout == old.stdout
    assert "Test CPU" in new.stdout and "session-run-tiny-fed" in new.stdout

"""``gpunet-bench run`` end to end on virtual GPUs: the printed lines, and JSON whose numbers agree
with them, for the three variable updates; the scaling table of ``--num_gpus 1,2``; bad flags."""
import json
import os
import re
import statistics
import subprocess
import sys

import pytest

from .helpers import ROOT, SMALL, bench, step_lines, totals


def rates(global_batch, times):
    return [global_batch / t for t in times]


@pytest.mark.parametrize("update", ["parameter_server", "replicated", "independent"])
def test_lenet_on_two_virtual_gpus_prints_the_lines_and_writes_agreeing_json(tmp_path, update):
    out = tmp_path / "results" / "lenet.json"
    trace = tmp_path / "step.trace.json"
    result = bench("run", "--model", "lenet", "--num_gpus", "2", "--variable_update", update, "--num_batches", "20",
                   "--display_every", "5", "--json", str(out), "--trace", str(trace), *SMALL)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Virtual GPUs: no GPU found here, so 2 virtual GPU(s) in host memory stand in" in text
    assert "  /gpu:1 -> /job:localhost/replica:0/task:0/device:GPU:1: virtual GPU in host memory" in text
    assert "Warm-up: 2 steps" in text  # not a terminal: a plain line, no progress bar
    assert "Step\tImg/sec\ttotal_loss" in text
    (record,) = json.loads(out.read_text())["records"]
    assert text.count("Placement summary: ") == 1 and record["placement_summary"] in text
    assert record["configuration"]["variable_update"] == update and record["devices"] == ["/gpu:0", "/gpu:1"]
    assert record["global_batch_size"] == 32 and len(record["step_times"]) == 20 == len(record["losses"])
    lines = step_lines(text)
    assert [line[0] for line in lines] == [5, 10, 15, 20]
    for step, mean, std, _, loss in lines:
        so_far = rates(32, record["step_times"][:int(step)])
        assert mean == pytest.approx(round(statistics.fmean(so_far), 1), abs=0.051)
        assert std == pytest.approx(round(statistics.pstdev(so_far), 1), abs=0.051)
        assert loss == pytest.approx(round(record["losses"][int(step) - 1], 3), abs=5e-4)
    assert totals(text) == [round(record["images_per_sec"]["total"], 2)]
    assert record["images_per_sec"]["total"] == pytest.approx(32 * 20 / sum(record["step_times"]))
    spread = record["images_per_sec"]
    assert spread["min"] <= spread["p10"] <= spread["median"] <= spread["p90"] <= spread["max"]
    check_copies_and_memory(record, update)
    assert trace.is_file() and json.loads(trace.read_text())["traceEvents"]


def check_copies_and_memory(record, update):
    copies = record["copies_per_step"]
    for gpu in ("/gpu:0", "/gpu:1"):
        # every replica gets its rows of the batch from the host; the exchange depends on the mode
        assert copies[gpu]["copies_in"] >= 2 and copies[gpu]["bytes_in"] > 0
        assert record["peak_memory"][gpu]["measured_peak_bytes"] > 0
    cpu_variables = record["peak_memory"]["/cpu:0"]["variable_bytes"]
    if update == "parameter_server":
        assert cpu_variables > 0 and record["peak_memory"]["/gpu:0"]["variable_bytes"] == 0
    else:  # mirrored or independent copies: the variables live on the GPUs
        assert record["peak_memory"]["/gpu:0"]["variable_bytes"] > 0
    if update == "independent":  # nothing but the input rows and the loss cross devices
        assert copies["/gpu:0"]["copies_out"] == 1 == copies["/gpu:1"]["copies_out"]
    info = {d["name"]: d for d in record["device_info"]}
    assert info["/gpu:1"]["virtual"] is True and set(info) == {"/cpu:0", "/gpu:0", "/gpu:1"}
    env = record["environment"]
    assert env["gpunet"] and env["numpy"] and env["cpu"] and "cupy" in env


def test_num_gpus_list_prints_the_scaling_table(tmp_path):
    out = tmp_path / "scaling.json"
    result = bench("run", "--model", "mlp", "--num_gpus", "1,2", "--num_batches", "10", "--json", str(out),
                   "--variable_update", "replicated", *SMALL)
    assert result.returncode == 0, result.stderr
    records = json.loads(out.read_text())["records"]
    assert [r["num_devices"] for r in records] == [1, 2]
    first, second = (r["images_per_sec"]["total"] for r in records)
    assert totals(result.stdout) == [round(first, 2), round(second, 2)]
    table = result.stdout.split("Scaling:\n", 1)[1].splitlines()
    assert table[0].split() == ["devices", "images/sec", "speed-up", "efficiency"]
    one, two = (row.split() for row in table[1:3])
    assert one == ["1", f"{first:.2f}", "1.00x", "100.0%"]
    assert two == ["2", f"{second:.2f}", f"{second / first:.2f}x", f"{second / first / 2:.1%}"]


@pytest.mark.parametrize("args, message", [
    (["--model", "alexnet"], "argument --model: invalid choice: 'alexnet'"),
    (["--num_gpus", "2", "--devices", "/gpu:0"], "give --num_gpus or --devices, not both"),
    (["--num_gpus", "two"], "--num_gpus must be a count or a comma-separated list of counts, got 'two'"),
    (["--num_gpus", "1,0"], "--num_gpus counts must be at least 1, got '1,0'"),
    (["--devices", "/cpu:0"], "--devices takes GPU names such as /gpu:0,/gpu:1; '/cpu:0' is not one"),
    (["--num_gpus", "1,2,3", "--global_batch_size", "64"],
     "--global_batch_size 64 is not divisible by 3 devices: each replica must get the same number of images"),
    (["--num_gpus", "300"], "asked for 300 GPUs, more than virtual GPUs can stand in for"),
    (["--batch_size", "0"], "argument --batch_size: must be at least 1, got '0'"),
    (["--variable_update", "allreduce"], "argument --variable_update: invalid choice: 'allreduce'"),
])
def test_bad_flags_get_one_line_and_exit_2_before_any_work(tmp_path, args, message):
    out = tmp_path / "never.json"
    result = bench("run", *args, "--json", str(out))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    expected = f"gpunet-bench run: error: {message}"
    if "invalid choice" in message:  # argparse quotes the choices or not, by Python version
        choices = "lenet, mlp, resnet20, trivial, vgg11-small" if "--model" in message else \
            "parameter_server, replicated, independent"
        expected += f" (choose from {choices})"
        line = line[:len(expected.split(" (choose")[0])] + line[len(expected.split(" (choose")[0]):].replace("'", "")
    assert line == expected
    assert result.stdout == "" and not out.exists()


def test_more_gpus_than_exist_is_a_bad_flag(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GPUNET_VIRTUAL_GPUS="2")
    result = subprocess.run([sys.executable, "-m", "gpunet.bench", "run", "--num_gpus", "4"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "gpunet-bench run: error: asked for 4 GPUs (up to /gpu:3), but this machine has 2"


def test_unknown_command_and_help():
    result = bench("train")
    assert result.returncode == 2
    assert result.stderr.strip() == "gpunet-bench: error: unknown command 'train' (choose from run, plot, micro)"
    assert bench("--help").stdout.splitlines()[0] == "usage: gpunet-bench {run,plot,micro} ..."


def test_an_unwritable_results_path_is_a_bad_flag(tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    result = bench("run", "--json", str(folder))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"gpunet-bench run: error: --json {folder}: cannot write there"


def test_named_devices_forward_only_on_digits_with_placement_logged(tmp_path):
    out = tmp_path / "forward.json"
    result = bench("run", "--model", "resnet20", "--data", "digits", "--devices", "/gpu:1,/gpu:2", "--forward_only",
                   "--log_device_placement", "--local_parameter_device", "gpu", "--variable_update", "replicated",
                   "--num_batches", "4", "--display_every", "2", "--json", str(out), *SMALL)
    assert result.returncode == 0, result.stderr
    assert "so 3 virtual GPU(s) in host memory stand in" in result.stdout
    assert "  /gpu:0 ->" not in result.stdout  # the mapping lists the devices the job uses
    placed = re.findall(r"^\S+: \(\w+\): (/job:\S+)$", result.stderr, flags=re.MULTILINE)  # TF1's lines
    assert placed and set(placed) == {f"/job:localhost/replica:0/task:0/device:GPU:{i}" for i in (1, 2)}
    (record,) = json.loads(out.read_text())["records"]
    assert record["configuration"]["image_shape"] == [8, 8, 1] and record["configuration"]["forward_only"] is True
    assert record["devices"] == ["/gpu:1", "/gpu:2"] and record["configuration"]["local_parameter_device"] == "/gpu:1"
    assert [line[0] for line in step_lines(result.stdout)] == [2, 4]

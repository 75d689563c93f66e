"""The statistics and the terminal output helpers of gpunet-bench."""
import io
import statistics

import pytest

from gpunet.bench.flags import FlagError, device_sets
from gpunet.bench.report import Printer, format_scaling, scaling_rows, throughput


def test_throughput_totals_and_spreads_the_per_step_rates():
    times = [0.5, 0.25, 0.25, 1.0, 0.5]
    rate = throughput(10, times)
    rates = [10 / t for t in times]
    assert rate["total"] == 50 / 2.5
    assert rate["mean"] == pytest.approx(statistics.fmean(rates))
    assert rate["std"] == pytest.approx(statistics.pstdev(rates))
    assert (rate["min"], rate["median"], rate["max"]) == (10.0, 20.0, 40.0)
    assert rate["jitter"] == pytest.approx(1.4826 * 10.0)  # median |rate - 20| over 10, 20, 20, 40, 40 is 10


def test_scaling_rows_against_the_first_count():
    rows = scaling_rows([(1, 100.0), (2, 150.0), (4, 400.0)])
    assert [(r["speedup"], r["efficiency"]) for r in rows] == [(1.0, 1.0), (1.5, 0.75), (4.0, 1.0)]
    table = format_scaling(rows).splitlines()
    assert table[4].split() == ["4", "400.00", "4.00x", "100.0%"]
    assert scaling_rows([(2, 100.0), (4, 150.0)])[1]["efficiency"] == 0.75  # against 2 devices, not 1


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_warm_up_has_a_progress_bar_on_a_terminal_and_a_line_elsewhere():
    tqdm = pytest.importorskip("tqdm")
    bar = Printer(Terminal()).warmup(3)
    assert isinstance(bar, tqdm.tqdm) and list(bar) == [0, 1, 2]
    plain = io.StringIO()
    assert list(Printer(plain).warmup(3)) == [0, 1, 2] and plain.getvalue() == "Warm-up: 3 steps\n"
    assert list(Printer(plain).warmup(0)) == []


def test_device_sets_from_counts_or_names():
    assert device_sets("1,2", None) == [("/gpu:0",), ("/gpu:0", "/gpu:1")]
    assert device_sets(None, None) == [("/gpu:0",)]
    assert device_sets(None, "/gpu:1, /device:GPU:3") == [("/gpu:1", "/gpu:3")]
    with pytest.raises(FlagError, match=r"--devices names a GPU twice: '/gpu:1,/gpu:1'"):
        device_sets(None, "/gpu:1,/gpu:1")
    with pytest.raises(FlagError, match=r"--num_gpus lists a count twice: '2,2'"):
        device_sets("2,2", None)

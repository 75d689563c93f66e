#!/usr/bin/env bash
# The GPU check, one command on a machine with a CUDA GPU (about 5 minutes on one GPU):
#   1. the gpu-marked tests (copies, logical GPUs, options, OOM, traces, fused kernels, ...) and every
#      device-parametrized test on CuPy,
#   2. the benchmarks with the gpunet side on /gpu:0,
# then a summary. Uses the machine's own python3 when it already has CuPy and pytest (PYTHONPATH=.,
# nothing installed, e.g. an image that cannot reach a package registry); otherwise .venv with the
# gpu extra (scripts/setup_venv.sh installs it where nvidia-smi works). Extra arguments go to pytest
# (`-n 12` spreads the tests over 12 processes where pytest-xdist is installed: a fresh machine compiles
# every CuPy kernel once, and that dominates). GPUNET_GPU_CHECK_TEST_S and GPUNET_GPU_CHECK_BENCH_S
# bound the two parts (default 240 and 150 seconds).
#
# `scripts/gpu_check.sh --double` is a dry run of this script on a machine without a GPU: the CuPy
# double of tests/cupy_double (a model of CuPy on NumPy, NOT CuPy) stands in for CuPy on 2 fake GPUs.
# It checks what the script selects and reports, and proves nothing about a GPU; benchmarks are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

double=0
if [ "${1:-}" = "--double" ]; then
    double=1
    shift
fi
install_double=""
if [ "$double" = 1 ]; then
    python=python3
    python3 -c "import numpy, pytest" >/dev/null 2>&1 || { source scripts/setup_venv.sh; python=python; }
    export GPUNET_TEST_CUPY_DOUBLE=2   # tests/conftest.py installs the double before gpunet looks for GPUs
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
    install_double="from tests import cupy_double; cupy_double.install(devices=2)"
    how="DRY RUN under the CuPy double (a model of CuPy, not CuPy; 2 fake GPUs)"
elif python3 -c "import cupy, pytest" >/dev/null 2>&1; then
    python=python3
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
    how="machine python3 with its own CuPy (no install)"
else
    source scripts/setup_venv.sh
    python=python
    how=".venv with the gpu extra"
fi

echo "== gpunet GPU check: $how"
$python - "$install_double" <<'PY' || { echo "GPU check: CuPy cannot run a kernel here (see above)"; exit 1; }
import logging, sys
exec(sys.argv[1])
logging.basicConfig(level=logging.INFO, format="%(message)s")
import cupy
import gpunet as gn
print("CuPy", cupy.__version__, "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion())
gpus = gn.config.list_physical_devices("GPU")
print("gpunet sees", len(gpus), "GPU(s):", ", ".join(d.name for d in gpus) or "none")
sys.exit(0 if gpus else 1)
PY

have_benchmark=0
$python -c "import pytest_benchmark" >/dev/null 2>&1 && have_benchmark=1
[ "$double" = 1 ] && have_benchmark=0
bench_flags=()
[ "$have_benchmark" = 1 ] && bench_flags=(--benchmark-disable)

echo "== 1/2 gpu-marked and device-parametrized tests"
# a machine's own python may lack a test-only package (hypothesis): run what can be collected
started=$SECONDS
timeout "${GPUNET_GPU_CHECK_TEST_S:-240}" $python -m pytest -q -p no:cacheprovider "${bench_flags[@]}" -m "gpu or on_devices" -rfE \
    --continue-on-collection-errors tests "$@" 2>&1 | tee /tmp/gpunet_gpu_tests.log | tail -n 40
tests_rc=${PIPESTATUS[0]}
tests_s=$((SECONDS - started))

bench_rc=skipped
if [ "$have_benchmark" = 1 ]; then
    echo "== 2/2 benchmarks, gpunet on /gpu:0"
    GPUNET_BENCH_DEVICE=/gpu:0 timeout "${GPUNET_GPU_CHECK_BENCH_S:-150}" $python -m gpunet.bench --json /tmp/gpunet_gpu_bench.json \
        --benchmark-max-time=0.2 --benchmark-min-rounds=3 2>&1 | tail -n 25
    bench_rc=${PIPESTATUS[0]}
elif [ "$double" = 1 ]; then
    echo "== 2/2 benchmarks skipped: timings under the CuPy double mean nothing"
else
    echo "== 2/2 benchmarks skipped: pytest-benchmark is not installed for $python"
fi

echo "== summary ($how)"
case "$tests_rc" in
    124|137) tests_line="TIMED OUT after ${tests_s} s (no pytest summary; see /tmp/gpunet_gpu_tests.log)" ;;
    5) tests_line="NO TESTS COLLECTED (is CuPy seen? see the device line above)" ;;
    *) tests_line="$(grep -E '^=* ?[0-9]+ (passed|failed|error)' /tmp/gpunet_gpu_tests.log | tail -n 1 | tr -d '=')" ;;
esac
echo "tests: ${tests_line:-no summary line} (exit $tests_rc, ${tests_s} s)"
grep -E '^(FAILED|ERROR) ' /tmp/gpunet_gpu_tests.log | head -n 20
echo "benchmarks: exit $bench_rc"
[ "$tests_rc" = 0 ] && { [ "$bench_rc" = 0 ] || [ "$bench_rc" = skipped ]; }

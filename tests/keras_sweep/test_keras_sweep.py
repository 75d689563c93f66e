"""Keras 2 parity sweep: each program of programs.py run with gpunet's Keras API (on each device) against what
tf_keras 2.21 gave for it (keras_reference.npz, written by make_reference.py): History keys and values, final
weights, evaluate/predict results and the errors raised for bad input."""
from pathlib import Path

import numpy as np
import pytest

import gpunet as gn
from tests.keras_sweep.programs import PROGRAMS, flatten
from tests.sweeps import check_program, load_reference, programs_of

REFERENCE = load_reference(Path(__file__).with_name("keras_reference.npz"))

# Where gpunet differs from tf_keras on purpose: an unknown metric name is a ValueError naming it, raised by
# compile (tf_keras raises a TypeError from inside fit).
DELIBERATE = {"errors_for_bad_input/unknown_metric": "ValueError"}
# Programs gpunet does not pass yet, and why (strict: one that passes must leave this list).
DIVERGES: dict = {}


def _is_error(key, expected):
    return expected.dtype.kind == "U" and expected.ndim == 0 and (
        key.startswith("errors_for_bad_input/") or key.split("/")[1].startswith("error_"))


def _check(key, got, expected):
    if key in DELIBERATE:
        assert DELIBERATE[key] in str(got).split(), f"{key}: gpunet raised {got}"
        return
    if _is_error(key, expected):
        # tf_keras's class must be among the classes of gpunet's error (most derived first)
        assert str(expected).split()[0] in str(got).split(), f"{key}: gpunet raised {got}, tf_keras {expected}"
        return
    assert got.shape == expected.shape, f"{key}: shape {got.shape} != tf_keras's {expected.shape}"
    if expected.dtype.kind in "USb":
        assert got.tolist() == expected.tolist(), key
        return
    # History values are float32 losses averaged over batches: a few ulps apart after several epochs
    np.testing.assert_allclose(got.astype("f8"), expected.astype("f8"), rtol=2e-4, atol=2e-5, err_msg=key)


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xfail(reason=DIVERGES[name], strict=True))
                                  if name in DIVERGES else name for name in sorted(PROGRAMS)])
def test_program_matches_tf_keras(name, device):
    # terminate_on_nan trains until its loss overflows on purpose
    overflows = np.errstate(over="ignore", invalid="ignore") if name == "terminate_on_nan" else np.errstate()
    with gn.device(device), overflows:
        got = flatten(name, PROGRAMS[name](gn))
    check_program(name, got, REFERENCE, _check)


def test_the_reference_covers_every_program():
    assert programs_of(REFERENCE) == set(PROGRAMS)

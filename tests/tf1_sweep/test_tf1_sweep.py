"""TF1 parity sweep: each program of programs.py run in gpunet (on each device) against the values, shapes and
dtypes TensorFlow 2.21's tf.compat.v1 produced for it (tf1_reference.npz, written by make_reference.py)."""
import contextlib
from pathlib import Path

import numpy as np
import pytest

import gpunet.compat.v1 as tf
from tests.sweeps import check_program, load_reference, programs_of
from tests.tf1_sweep.programs import PROGRAMS, flatten

REFERENCE = load_reference(Path(__file__).with_name("tf1_reference.npz"))

# Where gpunet differs from TF1 on purpose: gpunet keeps float64 (TF1's tf.losses.mean_squared_error casts its
# inputs to float32 and so returns float32).
KEPT_FLOAT64 = {"losses_scalar_weight_and_broadcast/f64"}
# The error programs (and results named error_*) give the class names of the error raised (most derived first);
# TF1's class must be among gpunet's (gpunet's InvalidFeedError is both an InvalidArgumentError and the
# ValueError TF1 raises).
ERROR_PROGRAM = "errors_for_bad_input"


def _is_error(key):
    return key.startswith(ERROR_PROGRAM + "/") or key.split("/")[1].startswith("error_")


def _tolerance(expected):
    return {"float16": 1e-3}.get(expected.dtype.name, 1e-5)


def _check(key, got, expected):
    assert got.shape == expected.shape, f"{key}: shape {got.shape} != TF's {expected.shape}"
    if _is_error(key):
        tf_class = str(expected).split()[0]
        assert tf_class in str(got).split(), f"{key}: gpunet raised {got}, TF1 {expected}"
        return
    if key in KEPT_FLOAT64:
        assert got.dtype == np.float64 and expected.dtype == np.float32, key
    else:
        assert got.dtype == expected.dtype, f"{key}: dtype {got.dtype} != TF's {expected.dtype}"
    if expected.dtype.kind in "US":
        assert got.tolist() == expected.tolist(), key
    else:
        tol = _tolerance(expected)
        np.testing.assert_allclose(got.astype("f8"), expected.astype("f8"), rtol=tol * 10, atol=tol, err_msg=key)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_tensorflow(name, device):
    # the deprecated TF1 keywords warn as in TF1 (keep_prob): expected there, an error anywhere else
    deprecated = pytest.warns(DeprecationWarning, match="keep_prob is deprecated") \
        if name == "deprecated_tf1_keywords" else contextlib.nullcontext()
    with tf.Graph().as_default(), tf.device(device), deprecated:
        got = flatten(name, PROGRAMS[name](tf))
    check_program(name, got, REFERENCE, _check)


def test_the_reference_covers_every_program():
    assert programs_of(REFERENCE) == set(PROGRAMS)

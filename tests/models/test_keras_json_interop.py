"""Model configs shared with tf_keras 2.21: ``gn.models.model_from_json`` rebuilds models that tf_keras wrote with
``model.to_json()`` (tests/models/data/keras_json_reference.json, made by make_keras_json_reference.py with random
weights, a fixed input and tf_keras's outputs for it in keras_json_reference.npz), and the rebuilt model gives the
same outputs for the same weights on every device."""
import importlib.util
import json
import os

import numpy as np
import pytest

import gpunet as gn

DATA = os.path.join(os.path.dirname(__file__), "data")
with open(os.path.join(DATA, "keras_json_reference.json")) as f:
    REF = json.load(f)["models"]
ARRAYS = dict(np.load(os.path.join(DATA, "keras_json_reference.npz")))


def arrays(name, prefix):
    """The fixture's arrays ``<name>/<prefix>NN`` in order."""
    keys = sorted(k for k in ARRAYS if k.startswith(f"{name}/{prefix}"))
    return [ARRAYS[k] for k in keys]


def load(name, device):
    """The tf_keras model ``name`` rebuilt by gpunet on ``device``, with the fixture's weights."""
    with gn.device(device):
        model = gn.models.model_from_json(REF[name])
    model.set_weights(arrays(name, "w"))
    return model


def predict(model, name):
    xs = arrays(name, "x")
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return ys if isinstance(ys, list) else [ys]


@pytest.mark.parametrize("name", sorted(REF))
def test_tf_keras_json_loads_with_same_outputs(name, device):
    model = load(name, device)
    expected = arrays(name, "y")
    got = predict(model, name)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


# -- gpunet's JSON in tf_keras ----------------------------------------------------------------------------------------
# gpunet_json_reference.json holds gpunet's to_json of models built with gpunet's API and of the tf_keras models
# above rebuilt by gpunet; check_gpunet_json_in_tf_keras.py recorded there what tf_keras 2.21 made of each.
with open(os.path.join(DATA, "gpunet_json_reference.json")) as f:
    GPUNET_REF = json.load(f)
GPUNET_ARRAYS = dict(np.load(os.path.join(DATA, "gpunet_json_reference.npz")))
_spec = importlib.util.spec_from_file_location("make_gpunet_json_reference",
                                               os.path.join(DATA, "make_gpunet_json_reference.py"))
MAKE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MAKE)


def gpunet_arrays(name, prefix):
    keys = sorted(k for k in GPUNET_ARRAYS if k.startswith(f"{name}/{prefix}"))
    return [GPUNET_ARRAYS[k] for k in keys]


def test_tf_keras_loaded_every_gpunet_config_with_same_outputs():
    results = GPUNET_REF["tf_keras_check"]["results"]
    assert sorted(results) == sorted(GPUNET_REF["models"])
    assert {f"from_tf_keras/{name}" for name in REF} <= set(results)
    failed = {name: r for name, r in results.items() if "error" in r or r["max_abs_diff"] > 1e-5}
    assert not failed


@pytest.mark.parametrize("name", sorted(GPUNET_REF["models"]))
def test_to_json_is_the_config_tf_keras_checked(name):
    """gpunet still writes, for the same model, the JSON that tf_keras loaded (re-run the two scripts when it
    changes on purpose)."""
    if name.startswith("from_tf_keras/"):
        model = gn.models.model_from_json(REF[name.split("/", 1)[1]])
    else:
        model = getattr(MAKE, name)()
    assert json.loads(model.to_json()) == json.loads(GPUNET_REF["models"][name])


@pytest.mark.parametrize("name", sorted(GPUNET_REF["models"]))
def test_gpunet_json_round_trip_same_outputs(name, device):
    with gn.device(device):
        model = gn.models.model_from_json(GPUNET_REF["models"][name])
    model.set_weights(gpunet_arrays(name, "w"))
    xs = gpunet_arrays(name, "x")
    got = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    for g, e in zip(got if isinstance(got, list) else [got], gpunet_arrays(name, "y"), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)

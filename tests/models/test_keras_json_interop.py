"""Model configs shared with tf_keras 2.21: ``gn.models.model_from_json`` rebuilds models that tf_keras wrote with
``model.to_json()`` (tests/models/data/keras_json_reference.json, made by make_keras_json_reference.py with random
weights, a fixed input and tf_keras's outputs for it in keras_json_reference.npz), and the rebuilt model gives the
same outputs for the same weights on every device."""
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

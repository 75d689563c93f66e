"""Checks of a layer against tf_keras 2's outputs, input gradients and configs stored in
``shape_layers_reference.npz`` (written by ``make_shape_layers_reference.py``)."""
import json
import os

import numpy as np

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

REF = np.load(os.path.join(os.path.dirname(__file__), "shape_layers_reference.npz"))
CASES = json.loads(str(REF["cases"]))


def cases_of(*class_names):
    """The reference case ids whose layer class is one of ``class_names``."""
    return [case for case, (name, _, _) in CASES.items() if name in class_names]


def make_layer(case):
    """A fresh gpunet layer of the reference case, with its input shape."""
    name, kwargs, shape = CASES[case]
    return getattr(L, name)(**kwargs), tuple(shape)


def check_against_keras(case, device):
    """Output and gradient of ``sum(output * weights)`` for the input equal tf_keras's, on ``device``."""
    layer, shape = make_layer(case)
    with gn.device(device):
        x = gn.placeholder(gn.float32, (None,) + shape[1:])
        y = layer(x)
        grad = gn.gradients(gn.reduce_sum(y * REF[f"{case}/weights"]), x)[0]
    assert tuple(y.shape.as_list()) == tuple(layer.compute_output_shape((None,) + shape[1:]))
    out, dx = K.get_session().run([y, grad], {x: REF[f"{case}/x"]})
    np.testing.assert_allclose(out, REF[f"{case}/y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, REF[f"{case}/dx"], rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32 and dx.dtype == np.float32


def check_config_against_keras(case):
    """The layer's config (less name, trainable, dtype) is tf_keras's, as JSON."""
    layer, _ = make_layer(case)
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable", "dtype")}
    assert json.loads(json.dumps(config)) == json.loads(str(REF[f"{case}/config"]))

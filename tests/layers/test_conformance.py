"""Every layer passes run_layer_test, on the CPU and on a virtual GPU."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L

from .layer_test_utils import run_layer_test

CASES = [
    pytest.param(L.Dense, {"units": 3}, (2, 4), "float32", True, id="dense"),
    pytest.param(L.Dense, {"units": 3, "activation": "softmax", "use_bias": False}, (2, 5, 4), "float32", True,
                 id="dense-3d-softmax"),
    pytest.param(L.Activation, {"activation": "tanh"}, (3, 4), "float32", True, id="activation"),
    pytest.param(L.Dropout, {"rate": 0.5}, (3, 4), "float32", True, id="dropout"),
    pytest.param(L.Flatten, {}, (2, 3, 4, 5), "float32", True, id="flatten"),
    pytest.param(L.Reshape, {"target_shape": (4, -1)}, (2, 3, 4), "float32", True, id="reshape"),
    pytest.param(L.Conv2D, {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"},
                 (2, 6, 6, 2), "float32", True, id="conv2d-same"),
    pytest.param(L.Conv2D, {"filters": 2, "kernel_size": (3, 2), "strides": 2}, (2, 7, 6, 1), "float32", True,
                 id="conv2d-valid-strided"),
    pytest.param(L.MaxPooling2D, {"pool_size": 2}, (2, 5, 5, 3), "float32", True, id="maxpool"),
    pytest.param(L.AveragePooling2D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 4, 4, 2), "float32",
                 True, id="avgpool-same"),
    pytest.param(L.BatchNormalization, {}, (8, 3), "float32", True, id="batchnorm"),
    pytest.param(L.BatchNormalization, {"axis": -1, "momentum": 0.9}, (4, 3, 3, 2), "float32", True,
                 id="batchnorm-4d"),
    pytest.param(L.Embedding, {"input_dim": 10, "output_dim": 4}, (3, 5), "int32", True, id="embedding"),
    pytest.param(L.LSTM, {"units": 3}, (2, 4, 5), "float32", True, id="lstm"),
    pytest.param(L.LSTM, {"units": 2, "return_sequences": True}, (2, 3, 4), "float32", True, id="lstm-seq"),
]


@pytest.mark.parametrize("layer_cls, kwargs, input_shape, dtype, deterministic", CASES)
def test_layer_conformance(layer_cls, kwargs, input_shape, dtype, deterministic, device):
    run_layer_test(layer_cls, kwargs, input_shape, device=device, input_dtype=dtype, deterministic=deterministic)


def test_merge_layers_conformance(device):
    with gn.device(device):
        a, b = L.Input((3,)), L.Input((3,))
        added, joined = L.add([a, b]), L.Concatenate()([a, b])
    model = gn.models.Model([a, b], [added, joined])
    x1, x2 = np.ones((2, 3), "float32"), np.arange(6, dtype="float32").reshape(2, 3)
    s, c = model.predict([x1, x2])
    np.testing.assert_array_equal(s, x1 + x2)
    np.testing.assert_array_equal(c, np.concatenate([x1, x2], 1))
    assert added.device == joined.device == gn.DeviceSpec.from_string(device).canonical()
    assert L.Add().compute_output_shape([(None, 3), (None, 3)]) == (None, 3)
    assert L.Concatenate().compute_output_shape([(None, 3), (None, 3)]) == (None, 6)
    with pytest.raises(ValueError, match="at least 2 inputs"):
        L.Add()([a])


def test_layer_values_against_numpy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5)).astype("float32")
    inp = L.Input((5,))
    dense = L.Dense(3, activation="relu")
    model = gn.models.Model(inp, dense(inp))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(model.predict(x), np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)

"""Conv2D and pooling with data_format='channels_first' (NCHW): the same values as channels_last on
transposed data (the NHWC kernels run between two transposes), config round trips, clear errors."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L

from .layer_test_utils import run_layer_test

LAYERS = [
    (L.Conv2D, {"filters": 3, "kernel_size": (3, 2), "strides": (2, 1), "padding": "valid", "activation": "relu"}),
    (L.Conv2D, {"filters": 2, "kernel_size": 3, "padding": "same", "use_bias": True}),
    (L.MaxPooling2D, {"pool_size": 2}),
    (L.AveragePooling2D, {"pool_size": 3, "strides": 1, "padding": "same"}),
]
IDS = ["conv-valid", "conv-same", "maxpool", "avgpool-same"]


@pytest.mark.parametrize("layer_cls, kwargs", LAYERS, ids=IDS)
def test_channels_first_equals_channels_last_on_transposed_data(layer_cls, kwargs):
    nhwc = np.random.default_rng(0).standard_normal((2, 7, 6, 4)).astype("float32")
    last = layer_cls(**kwargs)
    first = layer_cls(data_format="channels_first", **kwargs)
    out_last = last(L.Input((7, 6, 4)))
    out_first = first(L.Input((4, 7, 6)))
    batch, rows, cols, channels = out_last.shape.as_list()
    assert out_first.shape.as_list() == [batch, channels, rows, cols]
    first.set_weights(last.get_weights())
    expected = gn.models.Model(last.get_input_at(0), out_last).predict(nhwc)
    got = gn.models.Model(first.get_input_at(0), out_first).predict(np.transpose(nhwc, [0, 3, 1, 2]))
    np.testing.assert_allclose(got, np.transpose(expected, [0, 3, 1, 2]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer_cls, kwargs", LAYERS, ids=IDS)
def test_channels_first_conformance(layer_cls, kwargs, device):
    run_layer_test(layer_cls, {**kwargs, "data_format": "channels_first"}, (2, 4, 7, 6), device=device)


def test_conv_kernel_uses_the_channel_axis_of_the_format():
    layer = L.Conv2D(5, 3, data_format="channels_first")
    layer(L.Input((2, 8, 8)))
    assert layer.kernel.shape.as_list() == [3, 3, 2, 5]
    assert layer.get_config()["data_format"] == "channels_first"


@pytest.mark.parametrize("layer_cls", [L.Conv2D, L.MaxPooling2D, L.AveragePooling2D])
def test_unknown_data_format_is_a_value_error(layer_cls):
    args = (2, 3) if layer_cls is L.Conv2D else ()
    with pytest.raises(ValueError, match=r"data_format must be 'channels_last' or 'channels_first', got 'nchw'"):
        layer_cls(*args, data_format="nchw")


def test_channels_first_with_unknown_channels_is_refused():
    with pytest.raises(ValueError, match=r"expects inputs \(batch, channels, rows, cols\) with known channels"):
        L.Conv2D(2, 3, data_format="channels_first")(gn.placeholder(gn.float32, (None, None, 5, 5)))

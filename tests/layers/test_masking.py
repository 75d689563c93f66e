"""Keras 2 masks between layers, against tf_keras 2.21 (masking_reference.npz from make_masking_reference.py):
Masking and Embedding(mask_zero=True) make masks, recurrent layers carry their state over masked steps (leading
masked steps, fully masked rows, go_backwards, initial_state, Bidirectional), merges / pooling / TimeDistributed
combine or consume them; compute_mask's errors; on the CPU and a virtual GPU."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L
from gpunet.layers.base import tensor_mask

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "masking_reference.npz"), allow_pickle=False)
RNNS = ["SimpleRNN", "GRU", "LSTM"]


def rnn_weights(name):
    return [REF[f"{name}_w{i}"] for i in range(3)]


def run(tensors, feed):
    """The values of ``tensors`` for ``feed`` in the Keras session."""
    return K.get_session().run(tensors, feed_dict=feed)


def masked_rnn(name, device, **kwargs):
    with gn.device(device):
        x = L.Input((None, 2))
        layer = getattr(L, name)(3, **kwargs)
        out = layer(L.Masking()(x))
    layer.set_weights(rnn_weights(name))
    return x, out


@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("name", RNNS)
def test_recurrent_sequences_and_states_match_tf_keras(name, backwards, device):
    x, (out, state, *_) = masked_rnn(name, device, return_sequences=True, return_state=True, go_backwards=backwards)
    key = f"{name}_{'backwards' if backwards else 'forwards'}"
    got_out, got_state, got_mask = run([out, state, out._keras_mask], {x: REF["x"]})
    np.testing.assert_allclose(got_out, REF[f"{key}_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, REF[f"{key}_state"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_mask, REF[f"{key}_mask"])
    assert state._keras_mask is None


@pytest.mark.parametrize("name", RNNS)
def test_recurrent_last_output_matches_tf_keras_and_drops_the_mask(name, device):
    x, out = masked_rnn(name, device)
    assert tensor_mask(out) is None
    np.testing.assert_allclose(run(out, {x: REF["x"]}), REF[f"{name}_last"], rtol=1e-5, atol=1e-6)


def test_masked_leading_step_with_initial_state_outputs_zeros_and_keeps_the_state(device):
    with gn.device(device):
        x, h0, c0 = L.Input((None, 2)), L.Input((3,)), L.Input((3,))
        layer = L.LSTM(3, return_sequences=True, return_state=True)
        out, h, c = layer(L.Masking()(x), initial_state=[h0, c0])
    layer.set_weights(rnn_weights("LSTM"))
    got = run([out, h, c], {x: REF["x"], h0: REF["init_h0"], c0: REF["init_c0"]})
    for value, key in zip(got, ["init_out", "init_h", "init_c"]):
        np.testing.assert_allclose(value, REF[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[1][1], REF["init_h0"][1])  # the fully masked row keeps its initial state


@pytest.mark.parametrize("mode", ["concat", "sum"])
def test_bidirectional_matches_tf_keras(mode, device):
    with gn.device(device):
        x = L.Input((5, 2))
        layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode)
        out = layer(L.Masking()(x))
    weights = rnn_weights("LSTM")
    layer.set_weights(weights + [w[::-1].copy() if w.ndim == 1 else w * 0.5 for w in weights])
    got, mask = run([out, out._keras_mask], {x: REF["x"]})
    np.testing.assert_allclose(got, REF[f"bidi_{mode}_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mask, REF[f"bidi_{mode}_mask"])


def test_bidirectional_with_initial_states_matches_tf_keras(device):
    with gn.device(device):
        x, states = L.Input((5, 2)), [L.Input((3,)) for _ in range(4)]
        layer = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))
        out, *finals = layer(L.Masking()(x), initial_state=states)
    weights = rnn_weights("LSTM")
    layer.set_weights(weights + [w * 0.5 for w in weights])
    feed = dict(zip(states, [REF[k] for k in ("init_h0", "init_c0", "init_c0", "init_h0")]))
    got = run([out, out._keras_mask] + finals, {x: REF["x"], **feed})
    keys = ["bidi_state_out", "bidi_state_mask"] + [f"bidi_state_{i}" for i in range(4)]
    for value, key in zip(got, keys):
        np.testing.assert_allclose(value, REF[key], rtol=1e-5, atol=1e-6)
    assert [tensor_mask(t) for t in finals] == [None] * 4


def test_bidirectional_without_sequences_and_with_states_masks():
    x = L.Masking()(L.Input((5, 2)))
    outs = L.Bidirectional(L.GRU(2, return_state=True), merge_mode=None)(x)
    assert [tensor_mask(o) for o in outs] == [None] * 4


def test_embedding_mask_zero_feeds_the_lstm(device):
    with gn.device(device):
        tokens = L.Input((4,), dtype="int32")
        embedding = L.Embedding(5, 2, mask_zero=True)
        lstm = L.LSTM(3, return_sequences=True)
        out = lstm(embedding(tokens))
    embedding.set_weights([REF["emb_table"]])
    lstm.set_weights(rnn_weights("LSTM"))
    got, mask = run([out, out._keras_mask], {tokens: REF["emb_tokens"]})
    np.testing.assert_allclose(got, REF["emb_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mask, REF["emb_mask"])


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")
def test_merges_pooling_and_time_distributed_match_tf_keras(device):
    with gn.device(device):
        x, y = L.Input((5, 2)), L.Input((5, 2))
        a, b = L.Masking()(x), L.Masking()(y)
        fetches = [L.Add()([a, b])._keras_mask, L.Concatenate()([a, b])._keras_mask,
                   L.Concatenate(axis=1)([a, b])._keras_mask, L.GlobalAveragePooling1D()(b),
                   L.GlobalMaxPooling1D()(b), L.TimeDistributed(L.Dense(2))(a)._keras_mask]
    got = run(fetches, {x: REF["x"], y: REF["merge_y"]})
    for value, key in zip(got, ["add_mask", "concat_mask", "concat_time_mask", "gap_out", "gmp_out", "td_mask"]):
        np.testing.assert_allclose(value, REF[key], rtol=1e-6, equal_nan=True)  # a fully masked row averages to NaN


def test_which_layers_pass_the_mask_on():
    x = L.Masking()(L.Input((5, 2)))
    passing = [L.Dense(3), L.Dropout(0.5), L.Activation("relu"), L.LayerNormalization(), L.BatchNormalization(),
               L.LeakyReLU(), L.TimeDistributed(L.Dense(2))]
    dropping = [L.Flatten(), L.Conv1D(2, 1), L.Reshape((10,)), L.GlobalAveragePooling1D(), L.GlobalMaxPooling1D(),
                L.Dot(axes=2)]
    for layer in passing:
        assert tensor_mask(layer(x)) is not None, layer
    for layer in dropping:
        assert tensor_mask(layer([x, x] if isinstance(layer, L.Dot) else x)) is None, layer


def test_merges_of_unmasked_inputs_carry_no_mask():
    a, b = L.Input((5, 2)), L.Input((5, 2))
    assert L.Add()([a, b])._keras_mask is None
    assert L.Concatenate()([a, b])._keras_mask is None


def test_compute_mask_of_a_layer_without_masking_raises_keras_type_error():
    x = L.Masking()(L.Input((5, 2)))
    layer = L.Flatten(name="flat")
    with pytest.raises(TypeError, match="Layer flat does not support masking, but was passed an input_mask"):
        layer.compute_mask(x, x._keras_mask)
    assert layer.compute_mask(x, None) is None
    assert L.Dense(2).compute_mask(x, x._keras_mask) is x._keras_mask


def test_merge_compute_mask_argument_errors():
    a, b = L.Input((5, 2)), L.Input((5, 2))
    mask = gn.ones_like(a[..., 0], dtype=gn.bool)
    with pytest.raises(ValueError, match="`mask` should be a list"):
        L.Add().compute_mask([a, b], mask)
    with pytest.raises(ValueError, match="should have the same length"):
        L.Add().compute_mask([a, b], [mask])


class _SeesMask(L.Layer):
    """Records the mask its call was given."""

    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen = mask
        return inputs * 2.0


class _KeywordCall(L.Layer):
    """A call taking ``**kwargs``: tf_keras gives it the mask too."""

    def call(self, inputs, **kwargs):
        self.seen = kwargs
        return inputs + 1.0


def test_a_call_with_keyword_arguments_gets_the_mask():
    x = L.Masking()(L.Input((5, 2)))
    layer = _KeywordCall()
    out = layer(x)
    assert layer.seen == {"mask": x._keras_mask} and tensor_mask(out) is None
    layer(L.Input((5, 2)))
    assert layer.seen == {}


def test_call_gets_the_input_mask_and_an_explicit_mask_wins():
    x = L.Masking()(L.Input((5, 2)))
    layer = _SeesMask()
    out = layer(x)
    assert layer.seen is x._keras_mask and out._keras_mask is x._keras_mask
    explicit = gn.zeros_like(x[..., 0], dtype=gn.bool)
    assert _SeesMask()(x, mask=explicit)._keras_mask is explicit
    plain = L.Input((5, 2))
    assert _SeesMask()(plain)._keras_mask is None


def test_masked_steps_get_no_gradient_and_do_not_change_the_output():
    x = gn.placeholder(gn.float32, [None, 5, 2])
    mask = gn.placeholder(gn.bool, [None, 5])
    layer = L.LSTM(3, return_sequences=True)
    out = layer(x, mask=mask)
    layer.set_weights(rnn_weights("LSTM"))
    grads = gn.gradients(gn.reduce_sum(out), [x] + layer.trainable_weights)
    rng = np.random.default_rng(0)
    data, keep = rng.standard_normal((3, 5, 2)).astype("float32"), REF["x"].any(-1)
    noisy = np.where(keep[..., None], data, rng.standard_normal(data.shape).astype("float32"))
    first, *first_grads = run([out] + grads, {x: data, mask: keep})
    second, *second_grads = run([out] + grads, {x: noisy, mask: keep})
    np.testing.assert_array_equal(first, second)
    assert np.all(first_grads[0][~keep] == 0) and np.all(first_grads[0][keep[..., None].repeat(2, -1)] != 0)
    for a, b in zip(first_grads[1:], second_grads[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_trailing_padding_gives_the_gradient_of_the_unpadded_sequence():
    x = gn.placeholder(gn.float32, [None, None, 2])
    layer = L.GRU(3)
    out = L.Masking()(x)
    out = layer(out)
    layer.set_weights(rnn_weights("GRU"))
    grads = gn.gradients(gn.reduce_sum(out), layer.trainable_weights)
    padded = REF["x"][2:3]
    long_grads = run(grads, {x: padded})
    short_grads = run(grads, {x: padded[:, :3]})
    for a, b in zip(long_grads, short_grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_masking_config_and_conformance(device):
    layer = L.Masking(mask_value=-1.0, name="m")
    assert layer.get_config() == {"name": "m", "trainable": True, "dtype": "float32", "mask_value": -1.0}
    assert L.Masking().get_config()["mask_value"] == 0.0
    run_layer_test(L.Masking, {"mask_value": 0.5}, (2, 4, 3), device=device)


def test_masking_zeroes_masked_steps_for_its_mask_value():
    x = gn.placeholder(gn.float32, [None, 3, 2])
    out = L.Masking(mask_value=1.0)(x)
    data = np.array([[[1, 1], [1, 2], [0, 0]]], "float32")
    value, mask = run([out, out._keras_mask], {x: data})
    np.testing.assert_array_equal(value, [[[0, 0], [1, 2], [0, 0]]])
    np.testing.assert_array_equal(mask, [[False, True, True]])


def test_embedding_mask_zero_config_and_errors():
    layer = L.Embedding(5, 3, mask_zero=True)
    config = layer.get_config()
    assert config["mask_zero"] is True and L.Embedding.from_config(config).mask_zero is True
    assert L.Embedding(5, 3).get_config()["mask_zero"] is False
    assert L.Embedding(5, 3)(L.Input((4,), dtype="int32"))._keras_mask is None
    with pytest.raises(ValueError, match="Both `input_dim` and `output_dim` should be positive, Received "
                                         "input_dim = 0 and output_dim = 3"):
        L.Embedding(0, 3)
    with pytest.raises(ValueError, match="input_dim = 4 and output_dim = -1"):
        L.Embedding(4, -1)


def test_time_distributed_gives_the_inner_layer_one_mask_row_per_step():
    x = L.Masking()(L.Input((5, 2)))
    inner = _SeesMask()
    out = L.TimeDistributed(inner)(x)
    assert inner.seen.shape.as_list() == [None]
    assert out._keras_mask.shape.as_list() == [None, 5]


def test_a_layer_returning_its_input_does_not_relabel_it():
    x = L.Masking()(L.Input((5, 2)))
    history, mask = x._keras_history, x._keras_mask
    out = L.Lambda(lambda t: t)(x)
    assert out is not x and out._keras_mask is None
    assert x._keras_history == history and x._keras_mask is mask
    linear = L.Activation("linear")(x)
    assert linear is not x and linear._keras_mask is mask


def test_lambda_mask_argument_and_its_config():
    x = L.Masking()(L.Input((5, 2)))
    assert L.Lambda(lambda t: t * 2)(x)._keras_mask is None
    assert L.Lambda(lambda t: t * 2, mask=lambda t, m: m)(x)._keras_mask is x._keras_mask
    inverted = L.Lambda(lambda t: t, mask=lambda t, m: gn.logical_not(m), name="inv")
    config = inverted.get_config()
    with pytest.raises(ValueError, match="is a Lambda layer"):
        L.Lambda.from_config(config)
    clone = L.Lambda.from_config(config, safe_mode=False)
    data = REF["x"]
    feed_in = gn.placeholder(gn.float32, [None, 5, 2])
    out = clone(L.Masking()(feed_in))
    np.testing.assert_array_equal(run(out._keras_mask, {feed_in: data}), ~data.any(-1))
    with pytest.raises(ValueError, match="a mask given as a tensor cannot be saved"):
        L.Lambda(lambda t: t, mask=x._keras_mask).get_config()


# The layers of gn.layers whose ``supports_masking`` is True in tf_keras 2.21 (every other exported layer class
# has it False there; Embedding makes masks through compute_mask without supporting incoming ones).
KERAS_SUPPORTS_MASKING = {
    "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average", "BatchNormalization", "Bidirectional",
    "Concatenate", "Dense", "Dot", "Dropout", "ELU", "GRU", "GaussianDropout", "GaussianNoise",
    "GlobalAveragePooling1D", "GlobalAvgPool1D", "LSTM", "Lambda", "LayerNormalization", "LeakyReLU", "Masking",
    "Maximum", "Minimum", "Multiply", "PReLU", "ReLU", "SimpleRNN", "Softmax", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "Subtract", "ThresholdedReLU", "TimeDistributed"}
CONSTRUCTOR_ARGS = {
    "Dense": (2,), "Activation": ("relu",), "Dropout": (0.5,), "Reshape": ((12,),), "Lambda": (abs,),
    "Embedding": (5, 2), "Conv1D": (2, 1), "Conv2D": (2, 1), "Convolution1D": (2, 1), "Convolution2D": (2, 1),
    "Conv2DTranspose": (2, 1), "Convolution2DTranspose": (2, 1), "SeparableConv2D": (2, 1),
    "SeparableConvolution2D": (2, 1), "DepthwiseConv2D": (1,), "GaussianNoise": (0.1,), "GaussianDropout": (0.1,),
    "AlphaDropout": (0.1,), "SpatialDropout1D": (0.1,), "SpatialDropout2D": (0.1,), "SpatialDropout3D": (0.1,),
    "Permute": ((2, 1),), "RepeatVector": (2,), "LSTM": (2,), "GRU": (2,), "SimpleRNN": (2,), "Dot": (1,)}


def test_supports_masking_flags_are_tf_keras_s():
    wrapped = {"Bidirectional": lambda: L.Bidirectional(L.LSTM(2)), "TimeDistributed": lambda: L.TimeDistributed(
        L.Dense(2))}
    names = [n for n in L.__all__ if isinstance(getattr(L, n), type) and n not in ("Input", "InputLayer", "Layer")]
    for name in names:
        layer = wrapped[name]() if name in wrapped else getattr(L, name)(*CONSTRUCTOR_ARGS.get(name, ()))
        assert layer.supports_masking == (name in KERAS_SUPPORTS_MASKING), name


def test_embedding_with_mask_zero_conformance(device):
    run_layer_test(L.Embedding, {"input_dim": 10, "output_dim": 3, "mask_zero": True}, (2, 4), device=device,
                   input_dtype="int32")

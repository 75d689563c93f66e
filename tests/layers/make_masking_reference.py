"""Generates masking_reference.npz: tf_keras 2.21 outputs and masks of masked models for fixed weights and inputs
(recurrent layers after Masking / Embedding(mask_zero=True), Bidirectional, merges, pooling, TimeDistributed, and a
masked loss with one SGD step). Run with the tf_keras venv:
``/work/tfvenv/bin/python tests/layers/make_masking_reference.py``."""
import os

import numpy as np
import tensorflow as tf
import tf_keras

L = tf_keras.layers
RNNS = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # gates per unit


def masked_input(rng):
    """(3, 5, 2): row 0 has a masked leading step and a masked middle step, row 1 is all masked, row 2 is
    padded at the end."""
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    x[0, [0, 2]] = 0.0
    x[1] = 0.0
    x[2, 3:] = 0.0
    return x


def rnn_weights(rng, name, units=3, features=2):
    width = RNNS[name] * units
    bias_shape = (2, width) if name == "GRU" else (width,)
    return [(0.5 * rng.standard_normal(s)).astype("float32") for s in [(features, width), (units, width), bias_shape]]


def rnn_cases(rng, x, arrays):
    for name in RNNS:
        weights = rnn_weights(rng, name)
        for i, w in enumerate(weights):
            arrays[f"{name}_w{i}"] = w
        for backwards in (False, True):
            layer = getattr(L, name)(3, return_sequences=True, return_state=True, go_backwards=backwards)
            masked = L.Masking()(tf.constant(x))
            layer(masked)
            layer.set_weights(weights)
            out, *states = layer(masked)
            key = f"{name}_{'backwards' if backwards else 'forwards'}"
            arrays[f"{key}_out"], arrays[f"{key}_state"] = out.numpy(), states[0].numpy()
            arrays[f"{key}_mask"] = out._keras_mask.numpy()
        last = getattr(L, name)(3)
        last(masked)
        last.set_weights(weights)
        arrays[f"{name}_last"] = last(masked).numpy()


def initial_state_case(rng, x, arrays):
    """An LSTM with an initial state and a masked leading step: outputs start at 0, the state at h0."""
    h0, c0 = (rng.standard_normal((3, 3)).astype("float32") for _ in range(2))
    layer = L.LSTM(3, return_sequences=True, return_state=True)
    masked = L.Masking()(tf.constant(x))
    layer(masked, initial_state=[tf.constant(h0), tf.constant(c0)])
    layer.set_weights([arrays[f"LSTM_w{i}"] for i in range(3)])
    out, h, c = layer(masked, initial_state=[tf.constant(h0), tf.constant(c0)])
    arrays.update({"init_h0": h0, "init_c0": c0, "init_out": out.numpy(), "init_h": h.numpy(), "init_c": c.numpy()})


def bidirectional_case(rng, x, arrays):
    for mode in ("concat", "sum"):
        layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode)
        masked = L.Masking()(tf.constant(x))
        layer(masked)
        weights = [arrays[f"LSTM_w{i}"] for i in range(3)]
        layer.set_weights(weights + [w[::-1].copy() if w.ndim == 1 else w * 0.5 for w in weights])
        out = layer(masked)
        arrays[f"bidi_{mode}_out"], arrays[f"bidi_{mode}_mask"] = out.numpy(), out._keras_mask.numpy()
    states = [tf.constant(arrays[k]) for k in ("init_h0", "init_c0", "init_c0", "init_h0")]
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))
    layer(masked, initial_state=states)
    layer.set_weights(weights + [w * 0.5 for w in weights])
    out, *states = layer(masked, initial_state=states)
    arrays["bidi_state_out"], arrays["bidi_state_mask"] = out.numpy(), out._keras_mask.numpy()
    for i, state in enumerate(states):
        arrays[f"bidi_state_{i}"] = state.numpy()


def embedding_case(rng, arrays):
    tokens = np.array([[3, 1, 0, 0], [0, 2, 4, 0], [0, 0, 0, 0]], "int32")
    embedding = L.Embedding(5, 2, mask_zero=True)
    lstm = L.LSTM(3, return_sequences=True)
    embedded = embedding(tf.constant(tokens))
    lstm(embedded)
    table = rng.standard_normal((5, 2)).astype("float32")
    embedding.set_weights([table])
    lstm.set_weights([arrays[f"LSTM_w{i}"] for i in range(3)])
    out = lstm(embedding(tf.constant(tokens)))
    arrays.update({"emb_tokens": tokens, "emb_table": table, "emb_out": out.numpy(),
                   "emb_mask": out._keras_mask.numpy()})


def merge_and_pooling_cases(x, arrays):
    y = x[:, :, ::-1].copy()
    y[0, 1] = 0.0
    a, b = L.Masking()(tf.constant(x)), L.Masking()(tf.constant(y))
    arrays["merge_y"] = y
    arrays["add_mask"] = L.Add()([a, b])._keras_mask.numpy()
    arrays["concat_mask"] = L.Concatenate()([a, b])._keras_mask.numpy()
    arrays["concat_time_mask"] = L.Concatenate(axis=1)([a, b])._keras_mask.numpy()
    arrays["gap_out"] = L.GlobalAveragePooling1D()(b).numpy()
    arrays["gmp_out"] = L.GlobalMaxPooling1D()(b).numpy()
    dense = L.TimeDistributed(L.Dense(2, kernel_initializer="ones"))
    arrays["td_mask"] = dense(a)._keras_mask.numpy()


def loss_case(rng, x, arrays):
    """Masking -> LSTM(return_sequences) -> Dense: the mse over kept steps only, then one SGD step."""
    inp = L.Input((5, 2))
    out = L.Dense(2)(L.LSTM(3, return_sequences=True)(L.Masking()(inp)))
    model = tf_keras.Model(inp, out)
    dense_w = [(0.5 * rng.standard_normal((3, 2))).astype("float32"), np.zeros(2, "float32")]
    model.set_weights([arrays[f"LSTM_w{i}"] for i in range(3)] + dense_w)
    target = rng.standard_normal((3, 5, 2)).astype("float32")
    model.compile(tf_keras.optimizers.SGD(0.5), "mse", metrics=["mae"])
    arrays["loss_dense_w"], arrays["loss_target"] = dense_w[0], target
    arrays["loss_eval"] = np.array(model.evaluate(x, target, batch_size=3, verbose=0), "float32")
    for size in (1, 2):
        arrays[f"loss_eval_batches_of_{size}"] = np.array(model.evaluate(x, target, batch_size=size, verbose=0),
                                                           "float32")
    model.train_on_batch(x, target)
    for i, w in enumerate(model.get_weights()):
        arrays[f"loss_trained_w{i}"] = w


def main():
    rng = np.random.default_rng(7)
    x = masked_input(rng)
    arrays = {"x": x}
    rnn_cases(rng, x, arrays)
    initial_state_case(rng, x, arrays)
    bidirectional_case(rng, x, arrays)
    embedding_case(rng, arrays)
    merge_and_pooling_cases(x, arrays)
    loss_case(rng, x, arrays)
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "masking_reference.npz"), **arrays)


if __name__ == "__main__":
    main()

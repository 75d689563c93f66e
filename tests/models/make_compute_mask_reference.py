"""Generates data/compute_mask_reference.npz: the masks tf_keras 2.21's ``Model.compute_mask(inputs, mask)`` gives
for functional models (Embedding(mask_zero=True) -> LSTM, several outputs, a nested model, Masking ->
TimeDistributed, a mask given for the inputs, two inputs, Sequential, Dense passing a given mask on and Flatten
dropping it). Key ``<case>_<i>`` holds the mask of output
``i``; an output without a mask has no key; ``<case>_count`` is the number of outputs. Run with the tf_keras venv:
``/work/tfvenv/bin/python tests/models/make_compute_mask_reference.py``."""
import os

import numpy as np

IDS = np.array([[1, 2, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]], np.int32)
GIVEN = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1]], bool)


def float_steps():
    """(3, 4, 3) steps; the Masking cases see step 1 of sample 0 and all of sample 2 as zeros."""
    x = np.random.default_rng(3).standard_normal((3, 4, 3)).astype(np.float32)
    x[0, 1], x[2] = 0.0, 0.0
    return x


def cases(tf, keras):
    """{case: (model, inputs, mask)} -- the models gpunet's test builds the same way."""
    layers = keras.layers
    ids, x, given = tf.constant(IDS), tf.constant(float_steps()), tf.constant(GIVEN)
    tokens = layers.Input((4,), dtype="int32")
    embedded = layers.Embedding(6, 3, mask_zero=True)(tokens)
    sequence = layers.LSTM(2, return_sequences=True)(embedded)
    steps = layers.Input((4, 3))
    inner = keras.Model(steps, layers.LSTM(2, return_sequences=True)(steps))
    masked_inner = keras.Model(steps, layers.TimeDistributed(layers.Dense(2))(layers.Masking()(steps)))
    outer_steps = layers.Input((4, 3))
    first, second = layers.Input((4, 3)), layers.Input((4, 3))
    sequential = keras.Sequential([layers.Embedding(6, 3, mask_zero=True, input_length=4),
                                   layers.LSTM(2, return_sequences=True)])
    sequential.build((None, 4))
    features = layers.Input((3,))
    return {
        "sequence": (keras.Model(tokens, sequence), ids, None),
        "last": (keras.Model(tokens, layers.LSTM(2)(embedded)), ids, None),
        "several": (keras.Model(tokens, [sequence, layers.GlobalAveragePooling1D()(sequence), embedded]), ids, None),
        "inner_given": (inner, x, given),
        "inner_none": (inner, x, None),
        "nested": (keras.Model(tokens, inner(embedded)), ids, None),
        "nested_masking": (keras.Model(outer_steps, layers.Dense(2)(masked_inner(outer_steps))), x, None),
        "two_inputs": (keras.Model([first, second], layers.Concatenate()([first, second])), [x, x + 1.0],
                       [given, None]),
        "sequential": (sequential, ids, None),
        "dense_given": (keras.Model(features, layers.Dense(2)(features)), x[:, 0], given[:, 0]),
        "flatten_given": (keras.Model(steps, layers.Flatten()(steps)), x, given),
    }


def main():
    import tensorflow as tf  # here, so that the tests can import IDS and float_steps without TensorFlow
    import tf_keras

    arrays = {}
    for name, (model, inputs, mask) in cases(tf, tf_keras).items():
        masks = model.compute_mask(inputs, mask)
        masks = masks if isinstance(masks, list) else [masks]
        arrays[f"{name}_count"] = np.array(len(masks))
        arrays.update({f"{name}_{i}": m.numpy() for i, m in enumerate(masks) if m is not None})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "compute_mask_reference.npz")
    np.savez(path, **arrays)


if __name__ == "__main__":
    main()

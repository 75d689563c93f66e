"""Writes gpunet_json_reference.json + .npz: models built with gpunet's own API (and the tf_keras models of
keras_json_reference.json rebuilt by gpunet), each as gpunet's ``model.to_json()`` with random weights, a fixed
input and gpunet's outputs. Run with gpunet's venv from the repository root, then check the file with tf_keras:
``/work/tfvenv/bin/python tests/models/data/check_gpunet_json_in_tf_keras.py`` (records in the JSON that tf_keras
2.21 loaded each config and, with the same weights, gave the same outputs)."""
import json
import os

import numpy as np

import gpunet as gn
from gpunet import layers as L

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(11)


def mlp():
    return gn.models.Sequential([
        L.Dense(6, input_shape=(5,), activation="relu", kernel_initializer="he_normal",
                kernel_regularizer=L.regularizers.l2(0.01), kernel_constraint="max_norm"),
        L.BatchNormalization(momentum=0.9), L.Dropout(0.2), L.Dense(3, activation="softmax")], name="mlp")


def convnet_channels_first():
    x = L.Input((2, 8, 8), name="img")
    y = L.Conv2D(3, 3, padding="same", data_format="channels_first", activation="relu")(x)
    y = L.BatchNormalization(axis=1)(y)
    y = L.MaxPooling2D(2, data_format="channels_first")(y)
    y = L.Conv2DTranspose(2, 2, strides=2, data_format="channels_first")(y)
    y = L.GlobalAveragePooling2D(data_format="channels_first")(y)
    return gn.models.Model(x, L.Dense(2)(y), name="convnet_channels_first")


def text_rnn():
    return gn.models.Sequential([
        L.Embedding(12, 4, input_length=6, mask_zero=True),
        L.Bidirectional(L.GRU(3, return_sequences=True)), L.LSTM(2)], name="text_rnn")


def nested_shared():
    inner_x = L.Input((3,), name="inner_x")
    inner = gn.models.Model(inner_x, L.Dense(3, activation="tanh", name="inner_dense")(inner_x), name="inner")
    a, b = L.Input((3,), name="a"), L.Input((3,), name="b")
    ea, eb = inner(a), inner(b)
    merged = L.Concatenate()([L.Add()([ea, eb]), L.Multiply()([ea, eb])])
    return gn.models.Model([a, b], [L.Dense(1, name="score")(merged), eb], name="nested_shared")


def masked_time_distributed():
    x = L.Input((4, 3), name="steps")
    y = L.TimeDistributed(L.Dense(2))(L.Masking()(x))
    return gn.models.Model(x, L.SimpleRNN(2, return_sequences=True)(y), name="masked_time_distributed")


def lambda_layers():
    x = L.Input((3,), name="x")
    y = L.Lambda(lambda t, k=0.5: t * k - 1.0, output_shape=(3,), arguments={"k": 2.0}, name="affine")(x)
    return gn.models.Model(x, L.Lambda(lambda t: t * t, name="square")(L.Dense(2)(y)), name="lambda_layers")


def atrous_convnet():
    x = L.Input((9, 9, 2), name="img")
    y = L.Conv2D(3, 3, dilation_rate=2, padding="same", activation="relu")(x)
    y = L.Conv2D(2, (2, 3), dilation_rate=(3, 1))(y)
    return gn.models.Model(x, L.SeparableConv2D(2, 2, dilation_rate=2)(y), name="atrous_convnet")


BUILDERS = [mlp, convnet_channels_first, text_rnn, nested_shared, masked_time_distributed, lambda_layers,
            atrous_convnet]


def _inputs(model, name):
    if name.startswith("from_tf_keras/"):  # the inputs tf_keras's fixture uses (integer ids within each vocabulary)
        stored = np.load(os.path.join(HERE, "keras_json_reference.npz"))
        key = name.split("/", 1)[1] + "/x"
        return [stored[k] for k in sorted(stored.files) if k.startswith(key)]
    arrays = []
    for t in model.inputs:
        shape = [2] + t.shape.as_list()[1:]
        if t.dtype.is_integer or isinstance(model.layers[0], L.Embedding):
            arrays.append(RNG.integers(1, 12, shape).astype("float32"))
            arrays[-1][0, -2:] = 0
        else:
            arrays.append(RNG.uniform(-1, 1, shape).astype("float32"))
            if len(shape) == 3:
                arrays[-1][1, -1:] = 0.0
    return arrays


def _weights(model):
    return [RNG.uniform(0.5, 1.5, w.shape.as_list()) if "variance" in w.name else
            RNG.uniform(-0.5, 0.5, w.shape.as_list()) for w in model.weights]


def _from_tf_keras():
    with open(os.path.join(HERE, "keras_json_reference.json")) as f:
        return json.load(f)["models"]


def main():
    configs, arrays = {}, {}
    cases = [(build.__name__, build) for build in BUILDERS]
    cases += [(f"from_tf_keras/{name}", lambda js=js: gn.models.model_from_json(js, safe_mode=False))
              for name, js in sorted(_from_tf_keras().items())]
    for name, build in cases:
        gn.reset_default_graph()
        model = build()
        model.set_weights([w.astype("float32") for w in _weights(model)])
        xs = _inputs(model, name)
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        configs[name] = model.to_json()
        for prefix, group in (("w", model.get_weights()), ("x", xs), ("y", ys if isinstance(ys, list) else [ys])):
            for i, a in enumerate(group):
                arrays[f"{name}/{prefix}{i:02d}"] = a
    with open(os.path.join(HERE, "gpunet_json_reference.json"), "w") as f:
        json.dump({"models": configs, "tf_keras_check": None}, f, indent=0, sort_keys=True)
    np.savez_compressed(os.path.join(HERE, "gpunet_json_reference.npz"), **arrays)


if __name__ == "__main__":
    main()

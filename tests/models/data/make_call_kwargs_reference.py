"""Writes call_kwargs_reference.json: what tf_keras 2.21 stores in ``inbound_nodes`` for layer calls with keyword
arguments (training=, mask= from an Input, initial_state= from Inputs, a nested model), and the outputs of an
LSTM called with mask= from an Input for fixed weights and inputs. Run with /work/tfvenv/bin/python (TF 2.21)."""
import json
import os

import numpy as np
import tf_keras as keras

L = keras.layers


def inbound(model):
    return {layer["name"]: layer["inbound_nodes"] for layer in model.get_config()["layers"]}


def dropout_training():
    x = L.Input((4,), name="x")
    return keras.Model(x, L.Dropout(0.5, name="drop")(L.Dense(4, name="dense")(x), training=True))


def batchnorm_training_false():
    x = L.Input((4,), name="x")
    y = L.BatchNormalization(name="bn")(L.Dense(4, name="dense")(x), training=False)
    return keras.Model(x, L.Dense(2, name="d2")(y, training=False))


def lstm_mask():
    x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
    return keras.Model([x, mk], L.LSTM(3, name="lstm", return_sequences=True)(x, mask=mk, training=True))


def lstm_initial_state():
    x, h, c = L.Input((5, 2), name="x"), L.Input((3,), name="h"), L.Input((3,), name="c")
    return keras.Model([x, h, c], L.LSTM(3, name="lstm")(x, initial_state=[h, c]))


def shared_dropout():
    x = L.Input((4,), name="x")
    drop = L.Dropout(0.5, name="drop")
    return keras.Model(x, [drop(x, training=True), drop(x)])


def lstm_mask_outputs():
    rng = np.random.default_rng(0)
    x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
    model = keras.Model([x, mk], L.LSTM(3, name="lstm", return_sequences=True)(x, mask=mk))
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()]
    model.set_weights(weights)
    xs = rng.standard_normal((3, 5, 2)).astype("float32")
    masks = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 1, 1, 0, 1]], bool)
    out = model.predict([xs, masks], verbose=0)
    return {"weights": [w.tolist() for w in weights], "x": xs.tolist(), "mask": masks.tolist(), "out": out.tolist()}


if __name__ == "__main__":
    makers = [dropout_training, batchnorm_training_false, lstm_mask, lstm_initial_state, shared_dropout]
    reference = {"inbound_nodes": {make.__name__: inbound(make()) for make in makers},
                 "lstm_mask_outputs": lstm_mask_outputs(), "tf_keras": keras.__version__}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "call_kwargs_reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, indent=1)

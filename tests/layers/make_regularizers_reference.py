"""Writes regularizers_reference.npz: tf_keras 2.21 models using activity_regularizer, the recurrent layers'
kernel/recurrent/bias regularizers and BatchNormalization's beta/gamma regularizers — each model's JSON, weights,
a batch, its evaluation loss and its first training step's loss (both including the regularization terms) and the
weights after that SGD step. Run with /work/tfvenv/bin/python (needs tf_keras)."""
import json
import os

import numpy as np
import tf_keras as keras

R = keras.regularizers


def _dense():
    return keras.Sequential([keras.Input((4,)),
                             keras.layers.Dense(3, activation="tanh", activity_regularizer=R.L1L2(0.01, 0.02),
                                                kernel_regularizer=R.L2(0.01)),
                             keras.layers.Dense(2, activity_regularizer=R.L2(0.1))])


def _recurrent(cls, **extra):
    def build():
        return keras.Sequential([keras.Input((5, 3)),
                                 cls(4, kernel_regularizer=R.L1(0.01), recurrent_regularizer=R.L2(0.02),
                                     bias_regularizer=R.L1L2(0.01, 0.03), activity_regularizer=R.L2(0.05), **extra),
                                 keras.layers.Dense(2)])
    return build


def _batch_norm():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                             # (tf_keras's BatchNormalization config does not hold an activity_regularizer)
                             keras.layers.BatchNormalization(beta_regularizer=R.L1(0.1), gamma_regularizer=R.L2(0.2)),
                             keras.layers.Dense(2)])


MODELS = {"dense": _dense, "simple_rnn": _recurrent(keras.layers.SimpleRNN), "gru": _recurrent(keras.layers.GRU),
          "lstm": _recurrent(keras.layers.LSTM), "lstm_seq": _recurrent(keras.layers.LSTM, return_sequences=True),
          "batch_norm": _batch_norm}


def _record(name, model, rng, out):
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()]
    if name == "batch_norm":
        weights[-3] = np.abs(weights[-3]) + 0.5  # moving_variance
    model.set_weights(weights)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.1), "mse")
    x = rng.normal(size=(6,) + tuple(model.input_shape[1:])).astype("float32")
    y = rng.normal(size=(6,) + tuple(model.output_shape[1:])).astype("float32")
    out[f"{name}/json"] = np.array(model.to_json())
    out[f"{name}/x"], out[f"{name}/y"] = x, y
    out[f"{name}/n_losses"] = np.array(len(model.losses))
    out[f"{name}/test_loss"] = np.array(model.test_on_batch(x, y), "float32")
    out[f"{name}/train_loss"] = np.array(model.train_on_batch(x, y), "float32")
    for i, (before, after) in enumerate(zip(weights, model.get_weights())):
        out[f"{name}/w{i}"], out[f"{name}/after{i}"] = before, after


def main():
    rng = np.random.default_rng(11)
    out = {}
    for name, build in MODELS.items():
        _record(name, build(), rng, out)
    out["names"] = np.array(json.dumps(list(MODELS)))
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "regularizers_reference.npz"), **out)


if __name__ == "__main__":
    main()

"""A Keras fit for the resume tests: a small classifier with dropout, trained with Adam on
shuffled batches, checkpointed with ``ModelCheckpoint(resume=True)`` after every epoch.

    python keras_checkpointed_fit.py CKPT_DIR EPOCHS OUT.npz

Started again after being killed, it resumes from the newest complete state. Prints
``resumed <epoch>`` once (the epoch it starts at), then ``epoch <n>`` after each epoch's checkpoint;
at the end writes the final weights to OUT.npz."""
import os
import sys

import numpy as np

import gpunet as gn
from gpunet import layers as L

N_ROWS, N_IN, BATCH = 384, 12, 8


class _Say(gn.callbacks.Callback):
    def on_train_begin(self, logs=None):
        _say(f"resumed {self.model._resume_epoch or 0}")

    def on_epoch_end(self, epoch, logs=None):
        _say(f"epoch {epoch + 1}")


def _say(line):
    os.write(1, (line + "\n").encode())  # one unbuffered write: whole lines even when killed


def main(ckpt_dir, epochs, out):
    os.makedirs(ckpt_dir, exist_ok=True)
    np.random.seed(0)   # fit shuffles with NumPy's global generator
    gn.set_random_seed(3)
    data = np.random.default_rng(1)
    x = data.standard_normal((N_ROWS, N_IN)).astype(np.float32)
    y = gn.utils.to_categorical(np.argmax(x[:, :3], axis=1), 3)
    model = gn.models.Sequential([L.Dense(32, activation="relu", input_dim=N_IN), L.Dropout(0.3),
                                  L.Dense(3, activation="softmax")])
    model.compile(gn.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    checkpoint = gn.callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "model-{epoch:02d}"), save_weights_only=True,
                                              resume=True)
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[checkpoint, _Say()])
    np.savez(out, *model.get_weights())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])

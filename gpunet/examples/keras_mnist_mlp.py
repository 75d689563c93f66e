"""Keras 2's mnist_mlp.py, ported by changing the imports.

Trains a simple deep MLP: Dense 512 relu, Dropout 0.2, Dense 512 relu, Dropout 0.2, Dense 10 softmax,
RMSprop, categorical cross-entropy. Reads MNIST with ``--mnist PATH`` (IDX files or mnist.npz);
without it, the bundled 8x8 digits are upscaled to 28x28 so the model keeps its 784 inputs.

    python -m gpunet.examples.keras_mnist_mlp [--epochs N] [--mnist PATH] [--optimizer adagrad --lr 0.01]
"""
import argparse

import numpy as np

import gpunet as gn
from gpunet.layers import Dense, Dropout
from gpunet.models import Sequential
from gpunet.optimizers import Adagrad, RMSprop

__all__ = ["digits_as_mnist", "main"]


def digits_as_mnist():
    """The digits (0..16, 8x8) as MNIST-like uint8 28x28 images: each pixel 3x3, 2 pixels of border."""
    (x_train, y_train), (x_test, y_test) = gn.datasets.digits.load_data()

    def grow(x):
        big = np.kron(x.reshape(-1, 8, 8), np.ones((3, 3))) * (255.0 / 16.0)
        return np.pad(big, ((0, 0), (2, 2), (2, 2))).astype("uint8")
    return (grow(x_train), y_train), (grow(x_test), y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--mnist", default=None, help="folder with the MNIST IDX files or an mnist.npz")
    parser.add_argument("--optimizer", choices=["rmsprop", "adagrad"], default="rmsprop")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: Keras's, 0.001)")
    parser.add_argument("--seed", type=int, default=None, help="seed weights, dropout and shuffling")
    args = parser.parse_args(argv)
    num_classes = 10
    if args.seed is not None:
        np.random.seed(args.seed)
        gn.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = (gn.datasets.mnist.load_data(args.mnist) if args.mnist
                                            else digits_as_mnist())
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")
    y_train = gn.utils.to_categorical(y_train, num_classes)
    y_test = gn.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(num_classes, activation="softmax"))
    model.summary()

    optimizer = {"rmsprop": RMSprop, "adagrad": Adagrad}[args.optimizer](lr=args.lr)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1,
              validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score


if __name__ == "__main__":
    main()

"""Data that ``fit`` draws batch by batch: a Python generator or iterator of ``(x, y)`` / ``(x, y, sample_weight)``
batches (``steps_per_epoch`` of them per epoch, continuing where the last epoch stopped; without it, all it gives) or
a ``gn.utils.Sequence``
(all its batches each epoch, in a random order when shuffling, unless ``steps_per_epoch`` says fewer)."""
from __future__ import annotations

import numpy as np

from .data import batches

__all__ = ["BatchSource", "BatchSourceMixin", "is_batch_source"]


def _is_sequence(data):
    return hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(data, "on_epoch_end")


def is_batch_source(data):
    """Whether ``data`` given to fit as ``x`` is a generator, an iterator or a Sequence (not arrays)."""
    return hasattr(data, "__next__") or _is_sequence(data)


class BatchSource:
    """The batches of each epoch, as the ``(x, y, sample_weight)`` tuples the data gives."""

    def __init__(self, data, steps_per_epoch, shuffle, class_weight=None):
        self.class_weight = class_weight  # weighs every batch's samples
        self.sequence = data if _is_sequence(data) else None
        # a generator without steps_per_epoch: one epoch is everything it gives (tf_keras 2)
        self.steps = int(steps_per_epoch) if steps_per_epoch is not None else \
            len(data) if self.sequence is not None else None
        self.shuffle = shuffle
        self._iterator = None if self.sequence is not None else data
        self._peeked = None
        self.exhausted = False  # an epoch found no batch left: training stops there

    def first(self):
        """The first batch (not consumed: the first epoch still starts with it)."""
        if self.sequence is not None:
            return _as_tuple(self.sequence[0])
        if self._peeked is None:
            self._peeked = _as_tuple(next(self._iterator))
        return self._peeked

    def epoch(self):
        """The batches of one epoch; stops early (with a warning) when a generator runs out."""
        if self.sequence is not None:
            order = np.random.permutation(len(self.sequence)) if self.shuffle else range(len(self.sequence))
            for index in list(order)[:self.steps]:
                yield _as_tuple(self.sequence[int(index)])
            self.sequence.on_epoch_end()
            return
        taken = 0
        while self.steps is None or taken < self.steps:
            if self._peeked is not None:
                batch, self._peeked = self._peeked, None
            else:
                batch = next(self._iterator, None)
                if batch is None:
                    self.exhausted = not taken
                    if self.steps is not None or not taken:
                        print("WARNING: your input ran out of data; interrupting training")
                    return
            taken += 1
            yield _as_tuple(batch)


def _as_tuple(batch):
    """``(x, y, sample_weight)`` of a batch given as such a tuple, a shorter one, or inputs alone (for predict)."""
    if not isinstance(batch, tuple):
        batch = (batch,)
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"A generator or Sequence must give x, (x, y) or (x, y, sample_weight) batches, got a "
                         f"tuple of {len(batch)}")
    return batch + (None,) * (3 - len(batch))


class BatchSourceMixin:
    """The parts of ``Model``'s training API that draw batches from generators and Sequences."""

    def _batch_source(self, x, y, steps_per_epoch, shuffle, class_weight):
        """A ``BatchSource`` when ``x`` is a generator or a Sequence (None for arrays)."""
        if not is_batch_source(x):
            return None
        if y is not None:
            raise ValueError("`y` argument is not supported when using a generator or a Sequence as input: it "
                             "gives the targets")
        if self._builds_own_train_step():
            raise ValueError(f"Model {self.name} builds its own training step: give it arrays, not a generator")
        return BatchSource(x, steps_per_epoch, shuffle, class_weight)

    def _epoch_chunks(self, data, batch_size, shuffle):
        """The batches of one epoch, each the list of input, target and weight arrays a step is fed."""
        if not isinstance(data, BatchSource):
            yield from batches(data, batch_size, shuffle)
            return
        for x, y, sample_weight in data.epoch():
            xs, ys, ws = self._weighted_data(x, y, sample_weight, data.class_weight)
            yield xs + ys + (ws or [])

    # -- Keras 2's generator methods (fit, evaluate and predict take generators themselves) ----------------------
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      shuffle=True, initial_epoch=0):
        """``fit`` on a generator or Sequence (Keras 2's older name)."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, verbose=0):
        """``evaluate`` on a generator or Sequence (Keras 2's older name)."""
        return self.evaluate(generator, steps=steps, verbose=verbose)

    def predict_generator(self, generator, steps=None, verbose=0):
        """``predict`` on a generator or Sequence (Keras 2's older name)."""
        return self.predict(generator, steps=steps, verbose=verbose)

"""fit's ``validation_data`` (arrays, a generator or a ``gn.utils.Sequence``), ``validation_steps`` and
``validation_freq``, as tf_keras 2 takes them."""
from __future__ import annotations

from itertools import islice

from .batch_source import BatchSource, is_batch_source
from .data import batches

__all__ = ["ValidationArrays", "check_validation_freq", "should_validate", "validation_parts", "validation_set"]


def validation_parts(validation_data):
    """``(x_val, y_val[, val_sample_weights])`` of ``validation_data``, or Keras 2's error naming what came."""
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        got = f"{len(validation_data)} items" if isinstance(validation_data, (list, tuple)) else \
            f"a {type(validation_data).__name__}"
        raise ValueError(f"When passing a `validation_data` argument, it must contain 2 items (x_val, y_val) or 3 "
                         f"items (x_val, y_val, val_sample_weights), got {got}")
    return validation_data


class ValidationArrays:
    """Validation arrays (inputs, targets, weights or None) and the batches of one validation pass (the first
    ``steps`` of them when given)."""

    def __init__(self, xs, ys, weights, steps):
        self.xs, self.ys, self.weights, self.steps = xs, ys, weights, steps

    def chunks(self, batch_size):
        """The batches of one pass, each the list of input, target and weight arrays a test step is fed."""
        return islice(batches(self.xs + self.ys + (self.weights or []), batch_size, shuffle=False), self.steps)


def validation_set(model, validation_data, validation_steps):
    """A ``BatchSource`` (``validation_steps`` batches per pass; a Sequence's length without it) for a generator
    or Sequence, else ``ValidationArrays``."""
    if is_batch_source(validation_data):
        return BatchSource(validation_data, validation_steps, False)
    return ValidationArrays(*model._weighted_data(*validation_parts(validation_data), None), validation_steps)


def check_validation_freq(validation_freq):
    """``validation_freq``: an int (validate every that many epochs) or a list of 1-based epochs."""
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list)):
        raise ValueError(f"Expected `validation_freq` to be a list or int. Received: "
                         f"validation_freq={validation_freq} of the type {type(validation_freq)}.")


def should_validate(epoch, validation_freq):
    """Whether fit validates after 0-based ``epoch``."""
    return (epoch + 1) % validation_freq == 0 if isinstance(validation_freq, int) else epoch + 1 in validation_freq

"""``gn.utils.Sequence``: Keras 2's base class for data given to ``fit`` batch by batch."""
from __future__ import annotations

__all__ = ["Sequence"]


class Sequence:
    """Batches by index: subclasses define ``__getitem__(index)`` (an ``(x, y)`` or ``(x, y, sample_weight)``
    batch) and ``__len__()`` (the number of batches); ``fit`` calls ``on_epoch_end()`` after each epoch."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        """Called after each epoch (a subclass may reshuffle its samples here)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

"""``gn.contrib``: the TF1 ``tf.contrib`` names gpunet provides (``gn.contrib.rnn``)."""
from . import rnn

__all__ = ["rnn"]

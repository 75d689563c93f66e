"""``gn.io``: TF1's ``tf.io`` names that scripts use (``gn.io.gfile``)."""
from . import gfile

__all__ = ["gfile"]

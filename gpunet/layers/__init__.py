"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .base import Layer
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .functional import dense, dropout
from .input_layer import Input, InputLayer

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Lambda", "Layer", "Reshape",
           "dense", "dropout"]

"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .base import Layer
from .conv import Conv2D, Convolution2D
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .embedding import Embedding
from .functional import dense, dropout
from .input_layer import Input, InputLayer
from .merge import Add, Concatenate, add, concatenate
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from .recurrent import LSTM
from .recurrent_gru import GRU, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

__all__ = ["GRU", "LSTM", "SimpleRNN", "Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization",
           "Bidirectional", "Concatenate", "Conv2D", "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten",
           "Input", "InputLayer", "Lambda", "Layer", "MaxPool2D", "MaxPooling2D", "Reshape", "TimeDistributed", "add",
           "concatenate", "dense", "dropout"]

"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .base import Layer
from .conv import Conv2D, Convolution2D
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .embedding import Embedding
from .functional import dense, dropout
from .input_layer import Input, InputLayer
from .merge import Add, Concatenate, add, concatenate
from .noise import (ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                    SpatialDropout2D, SpatialDropout3D)
from .normalization import BatchNormalization, LayerNormalization
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from .recurrent import LSTM

__all__ = ["LSTM", "Activation", "ActivityRegularization", "Add", "AlphaDropout", "AveragePooling2D", "AvgPool2D",
           "BatchNormalization", "Concatenate", "Conv2D", "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten",
           "GaussianDropout", "GaussianNoise", "Input", "InputLayer", "Lambda", "Layer", "LayerNormalization",
           "MaxPool2D", "MaxPooling2D", "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "add",
           "concatenate", "dense", "dropout"]

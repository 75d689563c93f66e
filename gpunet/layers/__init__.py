"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from .base import Layer
from .conv import Conv2D, Convolution2D
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .embedding import Embedding
from .functional import dense, dropout
from .input_layer import Input, InputLayer
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate,
                    dot, maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from .recurrent import LSTM

__all__ = ["ELU", "LSTM", "Activation", "Add", "Average", "AveragePooling2D", "AvgPool2D", "BatchNormalization",
           "Concatenate", "Conv2D", "Convolution2D", "Dense", "Dot", "Dropout", "Embedding", "Flatten", "Input",
           "InputLayer", "Lambda", "Layer", "LeakyReLU", "MaxPool2D", "MaxPooling2D", "Maximum", "Minimum", "Multiply",
           "PReLU", "ReLU", "Reshape", "Softmax", "Subtract", "ThresholdedReLU", "add", "average", "concatenate",
           "dense", "dot", "dropout", "maximum", "minimum", "multiply", "subtract"]

"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .base import Layer
from .conv import Conv2D, Convolution2D
from .conv1d import Conv1D, Convolution1D
from .conv_transpose import Conv2DTranspose, Convolution2DTranspose
from .depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .embedding import Embedding
from .functional import dense, dropout
from .input_layer import Input, InputLayer
from .merge import Add, Concatenate, add, concatenate
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from .recurrent import LSTM

__all__ = ["LSTM", "Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Concatenate", "Conv1D",
           "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Dense",
           "DepthwiseConv2D", "Dropout", "Embedding", "Flatten", "Input", "InputLayer", "Lambda", "Layer", "MaxPool2D",
           "MaxPooling2D", "Reshape", "SeparableConv2D", "SeparableConvolution2D", "add", "concatenate", "dense",
           "dropout"]

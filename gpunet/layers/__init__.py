"""``gn.layers``: Keras 2 layers on the graph, and ``tf.layers``-style functions (``dense``,
``dropout``) that honour ``variable_scope(reuse=True)``."""
from .advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from . import constraints as constraints  # gn.layers.constraints (not a layer: kept out of __all__)
from .base import Layer
from .conv import Conv2D, Convolution2D
from .conv1d import Conv1D, Convolution1D
from .conv_transpose import Conv2DTranspose, Convolution2DTranspose
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape
from .depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from .embedding import Embedding
from .functional import dense, dropout
from .input_layer import Input, InputLayer
from .masking import Masking
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate,
                    dot, maximum, minimum, multiply, subtract)
from .noise import (ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                    SpatialDropout2D, SpatialDropout3D)
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from .recurrent import LSTM
from .recurrent_gru import GRU, SimpleRNN
from .reshaping import (Cropping1D, Cropping2D, Permute, RepeatVector, UpSampling1D, UpSampling2D, ZeroPadding1D,
                        ZeroPadding2D)
from .wrappers import Bidirectional, TimeDistributed

# The names below are also the classes load_model finds by name (gpunet/models/saving.py).
__all__ = ["LSTM", "Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Concatenate",
           "Conv2D", "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten", "Input", "InputLayer", "Lambda",
           "Layer", "MaxPool2D", "MaxPooling2D", "Reshape", "add", "concatenate", "dense", "dropout"]
# pooling: 1-D and global
__all__ += ["AveragePooling1D", "AvgPool1D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D",
            "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
            "MaxPool1D", "MaxPooling1D"]
# reshaping
__all__ += ["Cropping1D", "Cropping2D", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
            "ZeroPadding2D"]
# normalization and noise
__all__ += ["ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise", "LayerNormalization",
            "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
# recurrent and wrappers
__all__ += ["GRU", "SimpleRNN", "Bidirectional", "TimeDistributed"]
# advanced activations and merges
__all__ += ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU", "Average", "Dot", "Maximum", "Minimum",
            "Multiply", "Subtract", "average", "dot", "maximum", "minimum", "multiply", "subtract"]
# convolutions
__all__ += ["Conv1D", "Convolution1D", "Conv2DTranspose", "Convolution2DTranspose", "DepthwiseConv2D",
            "SeparableConv2D", "SeparableConvolution2D"]
# masking
__all__ += ["Masking"]

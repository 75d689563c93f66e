"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda."""
from __future__ import annotations

import base64
import builtins
import marshal
import types

import numpy as np

import gpunet as gn
from gpunet import backend as K

from . import activations, constraints, initializers, regularizers
from .base import Layer

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Lambda", "Reshape", "dump_function", "load_function"]


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis."""

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        if self.units < 0:  # tf_keras allows 0 units (an empty output)
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        if isinstance(input_shape, list):  # called on a list of tensors: one shape per tensor
            raise ValueError(f'Layer "{self.name}" expects 1 input tensor, but it received a list of '
                             f"{len(input_shape)}, of shapes {input_shape}")
        if input_shape[-1] is None:
            raise ValueError(f"The last dimension of the inputs to Dense layer {self.name} should be defined. "
                             f"Found None (input shape {input_shape}).")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank == 2:
            out = gn.matmul(inputs, self.kernel.value())
        else:
            out = gn.tensordot(inputs, self.kernel.value(), [[rank - 1], [0]])
        if self.use_bias:
            out = gn.nn.bias_add(out, self.bias.value())
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Activation(Layer):
    """Applies an activation function (``'relu'``, ``'softmax'``, … or a callable)."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs while training (learning phase 1), scaling the rest
    by ``1 / (1 - rate)``; the identity at inference."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if self.rate == 0.0:
            return gn.identity(inputs)
        def dropped():
            return gn.nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return K.in_train_phase(dropped, lambda: gn.identity(inputs), training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class Flatten(Layer):
    """Flattens every axis but the batch axis."""

    def call(self, inputs):
        shape = inputs.shape.as_list()
        inner = self.compute_output_shape(tuple(shape))[1]
        return gn.reshape(inputs, [-1, inner if inner is not None else -1])

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], int(np.prod(rest)) if None not in rest else None)


class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        target = self.compute_output_shape(tuple(inputs.shape.as_list()))[1:]
        if None in target:  # -1 with unknown sample size: the batch size comes from the data
            return gn.reshape(inputs, gn.stack([gn.shape(inputs)[0]] + list(self.target_shape)))
        return gn.reshape(inputs, [-1] + list(target))

    def compute_output_shape(self, input_shape):
        target, rest = list(self.target_shape), input_shape[1:]
        known = int(np.prod([d for d in target if d != -1]))
        if None not in rest:
            size = int(np.prod(rest))
            fits = (known and size % known == 0) if -1 in target else size == known
            if not fits:
                raise ValueError(f"total size of new array must be unchanged, input_shape = {list(rest)}, "
                                 f"output_shape = {target}")
        if -1 in target:
            target[target.index(-1)] = int(np.prod(rest)) // known if None not in rest else None
        return (input_shape[0],) + tuple(target)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)``. Saved as marshalled code, so loading one runs code
    from the file: ``load_model`` refuses it unless ``safe_mode=False``. The output carries no Keras mask unless
    ``mask`` gives one: a function ``mask(inputs, input_mask)`` or a tensor (tf_keras's argument)."""

    supports_masking = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.arguments = function, dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask

    def compute_mask(self, inputs, mask=None):
        """``self.mask(inputs, mask)`` when ``mask`` was given as a function, else ``self.mask`` (None by default)."""
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError(f"Lambda layer {self.name}: give output_shape= to compute output shapes")
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        if callable(self._output_shape):
            raise ValueError(f"Lambda layer {self.name}: a callable output_shape cannot be saved")
        if self.mask is not None and not callable(self.mask):
            raise ValueError(f"Lambda layer {self.name}: a mask given as a tensor cannot be saved; give a function")
        # tf_keras 2's keys: each function as [code, defaults, closure] with its type ("lambda") and module
        mask = {} if self.mask is None else {"mask": dump_function(self.mask), "mask_type": "lambda",
                                             "mask_module": None}
        return {**super().get_config(), "function": dump_function(self.function), "function_type": "lambda",
                "module": None, "output_shape": None if self._output_shape is None else list(self._output_shape),
                "output_shape_type": "raw", "output_shape_module": None, **mask, "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, safe_mode=True):
        config = dict(config)
        name = config.get("name")
        for key in ("function", "mask"):
            kind = config.pop(f"{key}_type" if key == "mask" else "function_type", "lambda")
            config.pop("mask_module" if key == "mask" else "module", None)  # their globals: gpunet's are used
            if config.get(key) is not None:
                if kind != "lambda":
                    raise ValueError(f"Lambda layer {name}: its {key} is the named function {config[key]!r} "
                                     f"(type {kind!r}); gpunet loads only functions stored as code")
                config[key] = load_function(config[key], safe_mode, name)
        config.pop("output_shape_module", None)
        if config.pop("output_shape_type", "raw") != "raw":
            raise ValueError(f"Lambda layer {name}: an output_shape given as a function cannot be loaded")
        return cls(**config)


def dump_function(fn):
    """A function's code object (marshalled, base64) and defaults: the Keras 2 way to save lambdas."""
    if fn.__closure__:
        raise ValueError(f"Cannot save function {fn.__name__}: it closes over variables "
                         f"{fn.__code__.co_freevars}; pass them with Lambda(arguments=...)")
    return [base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii"), list(fn.__defaults__ or ()), None]


def load_function(spec, safe_mode, layer_name):
    """Rebuild a function dumped by ``dump_function`` — only with ``safe_mode=False``."""
    if safe_mode:
        raise ValueError(f"Layer {layer_name} is a Lambda layer: loading it would run Python code stored in "
                         f"the file. If you trust the file, load it with safe_mode=False.")
    if isinstance(spec, dict):  # as gpunet wrote it before writing tf_keras's [code, defaults, closure]
        spec = [spec["code"], spec["defaults"], None]
    encoded, defaults, closure = spec
    if closure:
        raise ValueError(f"Layer {layer_name} is a Lambda layer whose function closes over variables; gpunet "
                         f"cannot rebuild such a closure (pass the values with arguments=).")
    code = marshal.loads(base64.b64decode(encoded))
    namespace = {"gn": gn, "K": K, "np": np, "__builtins__": builtins}
    return types.FunctionType(code, namespace, code.co_name, tuple(defaults or ()) or None)

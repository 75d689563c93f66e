"""``Layer``: the Keras 2 layer base — builds once on first call, emits its ops under its own name
scope, owns its weights (shared when the layer object is reused) and records each call as a Node
so functional models can trace and replay the graph of layers."""
from __future__ import annotations

import functools
import inspect
import re

import numpy as np

import gpunet as gn
from gpunet import backend as K

from . import constraints, initializers, regularizers

__all__ = ["Layer", "Node", "shape_tuple", "snake_case", "takes_argument", "to_list", "unique_in_order", "unpack"]


class Node:
    """One call of a layer: the tensors it consumed and produced."""

    def __init__(self, layer, inputs, outputs, kwargs, several=False):
        self.layer = layer
        self.several = several  # called on a list of tensors (even a list of one)
        self.input_tensors = inputs
        self.output_tensors = outputs
        self.kwargs = kwargs

    @property
    def parents(self):
        """(layer, node index, tensor index) of each input, or None for raw graph tensors."""
        return [getattr(t, "_keras_history", None) for t in self.input_tensors]


def snake_case(name):
    """Keras 2's default layer name of a class name: ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def to_list(x):
    """``x`` as a list (a single value becomes a one-element list)."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


def unpack(xs):
    """The single element of ``xs``, or ``xs`` itself when it holds several."""
    return xs[0] if len(xs) == 1 else xs


def shape_tuple(tensor):
    """The static shape of ``tensor`` as a tuple with None for unknown dims."""
    return tuple(tensor.shape.as_list()) if tensor.shape.ndims is not None else None


def tensor_mask(tensor):
    """The Keras mask ``tensor`` carries (``_keras_mask``: boolean, true where a step counts), or None."""
    return getattr(tensor, "_keras_mask", None)


@functools.lru_cache(maxsize=None)
def _call_takes(cls, argument):
    """Whether ``cls.call`` has a parameter ``argument`` or takes ``**kwargs`` (tf_keras passes ``mask`` and
    ``training`` to both)."""
    parameters = inspect.signature(cls.call).parameters.values()
    return any(p.name == argument or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def takes_argument(layer, argument):
    """Whether ``layer.call`` takes ``argument`` (by name or through ``**kwargs``)."""
    return _call_takes(type(layer), argument)


def _distinct_from(inputs, outputs):
    """``outputs`` with each one that is also an input replaced by an identity of it, so that the output's Keras
    history and mask are its own (an identity ``call`` must not relabel its input)."""
    ids = {id(t) for t in inputs}
    fresh = [gn.identity(out) if id(out) in ids else out for out in to_list(outputs)]
    return type(outputs)(fresh) if isinstance(outputs, (list, tuple)) else fresh[0]


def unique_in_order(items):
    """``items`` without repeats (by identity), first occurrences kept in order."""
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


class Layer:
    """Base of every layer. Subclasses implement ``build(input_shape)`` (``add_weight``),
    ``call(inputs, **kwargs)`` and ``compute_output_shape(input_shape)``; ``get_config`` lists the
    constructor arguments so ``from_config`` can rebuild the layer. Keras masks: each output tensor carries
    ``_keras_mask`` (``compute_mask``'s result, for layers that support masking or override ``compute_mask``);
    a ``call`` with a ``mask`` parameter is given its inputs' masks unless the caller passes ``mask=``."""

    supports_masking = False  # True: a mask on the input passes through to the output (compute_mask)

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, activity_regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        self._name = name or K.unique_object_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = gn.as_dtype(dtype or K.floatx()).name
        self.built = False
        self._own_trainable, self._own_non_trainable = [], []
        self._own_updates, self._own_losses = [], []
        self._sublayers = []
        self._inbound_nodes = []
        self._weight_names = {}  # variable id -> name given to add_weight
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self._batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __setattr__(self, key, value):
        # attributes holding layers (or lists of layers) make them sublayers: their weights are ours
        found = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, Layer)]
        if found and "_sublayers" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning layers to "
                               f"attributes (assigning {key!r})")
        for layer in found:
            if all(layer is not s for s in self._sublayers):
                self._sublayers.append(layer)
        super().__setattr__(key, value)

    @property
    def name(self):
        return self._name

    # -- calling -----------------------------------------------------------------------------------
    def __call__(self, inputs, **kwargs):
        if "training" in kwargs and not _call_takes(type(self), "training"):
            kwargs = {k: v for k, v in kwargs.items() if k != "training"}  # as tf_keras: not recorded either
        several = isinstance(inputs, (list, tuple))
        tensors = [self._check_input(t) for t in to_list(inputs)]
        inputs = tensors if several else tensors[0]
        masks = kwargs["mask"] if "mask" in kwargs else self._input_masks(tensors, several)
        with gn.name_scope(self._name):
            if not self.built:
                self._maybe_check_input_shape(tensors)
                self.build([shape_tuple(t) for t in tensors] if several else shape_tuple(tensors[0]))
                self.built = True
            outputs = _distinct_from(tensors, self.call(inputs, **self._with_mask(kwargs, masks)))
            self._attach_masks(inputs, outputs, masks)
            self._add_activity_losses(outputs)
        self._record_node(tensors, outputs, kwargs, several)
        return outputs

    def _add_activity_losses(self, outputs):
        """tf_keras 2's activity regularization: each output's penalty divided by its batch size (0 for an empty
        batch, as tf_keras's divide_no_nan; the penalty of an empty batch is 0 too) joins the layer's losses."""
        if self.activity_regularizer is None:
            return
        with gn.name_scope("ActivityRegularizer"):
            for output in to_list(outputs):
                penalty = self.activity_regularizer(output)
                batch = gn.cast(gn.shape(output)[0], penalty.dtype)
                self._own_losses.append(penalty / gn.maximum(batch, gn.constant(1.0, dtype=penalty.dtype)))

    # -- masks (Keras 2: each output tensor carries its mask as ``_keras_mask``) -------------------------
    @staticmethod
    def _input_masks(tensors, several):
        masks = [tensor_mask(t) for t in tensors]
        if all(m is None for m in masks):
            return None
        return masks if several else masks[0]

    def _with_mask(self, kwargs, masks):
        """``kwargs`` plus the input masks as ``mask=`` when ``call`` takes one and there is a mask."""
        if masks is None or "mask" in kwargs or not _call_takes(type(self), "mask"):
            return kwargs
        return {**kwargs, "mask": masks}

    def _handles_masks(self):
        return self.supports_masking or type(self).compute_mask is not Layer.compute_mask

    def _attach_masks(self, inputs, outputs, masks):
        # as tf_keras: a layer that does not handle masks drops them silently when called (only an explicit
        # compute_mask call raises); a layer whose call already attached its outputs' masks keeps them
        outs = to_list(outputs)
        if not self._handles_masks() or all(tensor_mask(o) is not None for o in outs):
            return
        out_masks = self.compute_mask(inputs, masks)
        out_masks = to_list(out_masks) if isinstance(outputs, (list, tuple)) else [out_masks]
        for out, mask in zip(outs, out_masks):
            out._keras_mask = mask

    def _check_input(self, value):
        if isinstance(value, gn.Variable):
            return value.value()
        if not isinstance(value, gn.Tensor):
            raise TypeError(f"Layer {self._name} was called on {type(value).__name__} {value!r:.60}, which is not a "
                            f"gn.Tensor. Call layers on tensors (gn.layers.Input(shape=...), gn.placeholder(...) "
                            f"or gn.constant(array)); to run a model on arrays use model.predict(array).")
        return value

    def _maybe_check_input_shape(self, tensors):
        expected = self._batch_input_shape
        got = shape_tuple(tensors[0])
        if expected is not None and got is not None and len(tensors) == 1:
            if len(expected) != len(got) or any(a is not None and b is not None and a != b
                                                for a, b in zip(expected[1:], got[1:])):
                raise ValueError(f"Input 0 of layer {self._name} is incompatible with the layer: expected shape "
                                 f"{expected}, found shape {got}")

    def _record_node(self, tensors, outputs, kwargs, several=False):
        outs = to_list(outputs)
        node = Node(self, tensors, outs, kwargs, several)
        index = len(self._inbound_nodes)
        self._inbound_nodes.append(node)
        for i, out in enumerate(outs):
            out._keras_history = (self, index, i)

    def build(self, input_shape):
        """Create the weights (``add_weight``) for inputs of ``input_shape``."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation on graph tensors."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (same shape unless a layer says otherwise)."""
        return input_shape

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs for inputs carrying ``mask``: ``mask`` itself when the layer supports masking,
        else None (a layer that does not support masking refuses a mask, as tf_keras's does)."""
        if self.supports_masking:
            return mask
        if any(m is not None for m in to_list(mask)):
            raise TypeError(f"Layer {self._name} does not support masking, but was passed an input_mask: {mask}")
        return None

    # -- weights ------------------------------------------------------------------------------------
    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None, trainable=True,
                   constraint=None):
        """A new variable ``<scope>/<layer>/<name>:0`` owned by this layer. ``constraint`` (a callable, a name
        such as ``'max_norm'`` or a config dict, see ``gn.layers.constraints``) is stored on the variable:
        optimizers project the variable with it right after each update."""
        constraint = constraints.get(constraint)
        init = initializers.get(initializer or "glorot_uniform")
        dtype = gn.as_dtype(dtype or self.dtype)
        shape = tuple(int(d) for d in shape)
        variable = self._make_variable(name, shape, dtype, init, trainable, constraint)
        self._weight_names[id(variable)] = name
        (self._own_trainable if trainable else self._own_non_trainable).append(variable)
        if regularizer is not None:
            with gn.name_scope(f"{name}/Regularizer"):
                self._own_losses.append(regularizer(variable.value()))
        return variable

    def _make_variable(self, name, shape, dtype, init, trainable, constraint):
        return gn.Variable(lambda: init(shape, dtype=dtype), name=name, trainable=trainable, dtype=dtype,
                           constraint=constraint)

    def weight_name(self, variable):
        """The name ``variable`` was given by add_weight (``kernel``), or its graph name."""
        return self._weight_names.get(id(variable), variable.name.split("/")[-1].split(":")[0])

    def _all_layers(self):
        return [self] + [inner for sub in self._sublayers for inner in sub._all_layers()]

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = list(self._own_trainable)
        return unique_in_order(own + [w for sub in self._sublayers for w in sub.trainable_weights])

    @property
    def non_trainable_weights(self):
        inner = [w for sub in self._sublayers for w in sub.non_trainable_weights]
        if not self.trainable:
            everything = self._own_trainable + [w for s in self._sublayers for w in s.trainable_weights_all()]
            return unique_in_order(everything + self._own_non_trainable + inner)
        return unique_in_order(self._own_non_trainable + inner)

    def trainable_weights_all(self):
        """Every weight created trainable, whatever the ``trainable`` flags say now."""
        return unique_in_order(self._own_trainable + [w for s in self._sublayers for w in s.trainable_weights_all()])

    @property
    def weights(self):
        return unique_in_order(self.trainable_weights + self.non_trainable_weights)

    @property
    def variables(self):
        return self.weights

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self._name}, but the layer isn't built.")
        return int(sum(np.prod(w.shape.as_list()) for w in self.weights))

    def get_weights(self):
        """The weight values as NumPy arrays, in ``weights`` order."""
        weights = self.weights
        K.initialize_variables(weights)
        return K.get_session().run(weights) if weights else []

    def set_weights(self, values):
        """Load ``values`` (in ``weights`` order); counts and shapes are checked before any is set."""
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(f"Layer {self._name} expects {len(weights)} weight(s), but the given list has "
                             f"{len(values)}.")
        arrays = []
        for w, v in zip(weights, values):
            v = np.asarray(v)
            if tuple(w.shape.as_list()) != v.shape:
                raise ValueError(f"Layer {self._name} weight shape {tuple(w.shape.as_list())} ({w.name}) is not "
                                 f"compatible with provided weight shape {v.shape}")
            arrays.append(v.astype(w.dtype.name, copy=False))
        for w, v in zip(weights, arrays):
            K.set_value(w, v)

    # -- updates and losses --------------------------------------------------------------------------
    @property
    def updates(self):
        return unique_in_order(self._own_updates + [u for sub in self._sublayers for u in sub.updates])

    def add_update(self, updates):
        self._own_updates.extend(to_list(updates))

    @property
    def losses(self):
        return unique_in_order(self._own_losses + [item for sub in self._sublayers for item in sub.losses])

    def add_loss(self, losses, inputs=None):
        """Add scalar loss tensors to the objective of models containing this layer."""
        self._own_losses.extend(to_list(losses))

    # -- config -------------------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self._name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- node accessors (Keras 2) --------------------------------------------------------------------
    def _node(self, index, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self._name} is not connected, no {what} to return.")
        if index >= len(self._inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {index}, but layer {self._name} has only "
                             f"{len(self._inbound_nodes)} inbound nodes.")
        return self._inbound_nodes[index]

    def get_input_at(self, index):
        return unpack(self._node(index, "input").input_tensors)

    def get_output_at(self, index):
        return unpack(self._node(index, "output").output_tensors)

    def get_input_shape_at(self, index):
        return unpack([shape_tuple(t) for t in self._node(index, "input shape").input_tensors])

    def get_output_shape_at(self, index):
        return unpack([shape_tuple(t) for t in self._node(index, "output shape").output_tensors])

    def _single_node(self, what):
        if len(self._inbound_nodes) > 1:
            raise AttributeError(f"Layer {self._name} has multiple inbound nodes, hence the notion of \"layer "
                                 f"{what}\" is ill-defined. Use `get_{what}_at(node_index)` instead.")
        return 0

    @property
    def input(self):
        return self.get_input_at(self._single_node("input"))

    @property
    def output(self):
        return self.get_output_at(self._single_node("output"))

    @property
    def input_shape(self):
        return self.get_input_shape_at(self._single_node("input_shape"))

    @property
    def output_shape(self):
        return self.get_output_shape_at(self._single_node("output_shape"))

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name!r}>"

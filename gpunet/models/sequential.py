"""``Sequential``: a stack of layers, each fed the previous one's output; built as soon as the first
layer knows its input shape (``input_shape=``, ``input_dim=``, an ``InputLayer``) or on first data."""
from __future__ import annotations

from gpunet.layers.base import Layer, shape_tuple, takes_argument
from gpunet.layers.input_layer import Input, InputLayer

from . import saving
from .model import Model
from .network import with_masks

__all__ = ["Sequential"]


class Sequential(Model):
    """``Sequential([layers])`` or ``.add(layer)`` one at a time."""

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []
        self._chain = []  # the output tensor of each connected layer
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append ``layer`` (connected at once when the model's input shape is known)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Found: {layer!r}")
        if any(layer.name == other.name for other in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"\"{layer.name}\" is already the name of a layer in this model.")
        if isinstance(layer, InputLayer):
            self._input_layer = layer
            self._connect()
            return
        self._stack.append(layer)
        if self._input_layer is None and layer._batch_input_shape is not None and len(self._stack) == 1:
            self._input_layer = Input(batch_shape=layer._batch_input_shape, name=f"{layer.name}_input",
                                      dtype=layer.dtype)._keras_history[0]
        self._connect()
        self._functions = {}

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        self._connect()

    def _connect(self):
        """Call the layers not yet connected (each layer is called once) and update the graph."""
        self._sublayers = list(self._stack)
        if self._input_layer is None or not self._stack:
            return
        del self._chain[len(self._stack):]  # after pop
        for layer in self._stack[len(self._chain):]:
            self._chain.append(layer(self._chain[-1] if self._chain else self._input_layer.output))
        self._init_graph_network(self._input_layer.output, self._chain[-1])
        self._sublayers = list(self._stack)

    def build(self, input_shape=None):
        """Build for inputs of ``input_shape`` (batch dimension included)."""
        if self._input_layer is None and input_shape is not None:
            self._input_layer = Input(batch_shape=tuple(input_shape), name=f"{self._stack[0].name}_input")\
                ._keras_history[0]
            self._connect()
        self.built = True

    def _build_for_data(self, arrays):
        if self.outputs is None:
            self.build((None,) + arrays[0].shape[1:])

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            return super().call(inputs, training, mask)
        x = inputs if mask is None else with_masks([inputs], [mask])[0]
        for layer in self._stack:
            given = {} if training is None or not takes_argument(layer, "training") else {"training": training}
            x = layer(x, **given)
        return x

    def compute_output_shape(self, input_shape):
        return shape_tuple(self.outputs[0]) if self.outputs else input_shape

    def get_config(self):
        return saving.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        return saving.sequential_from_config(config, custom_objects, safe_mode)

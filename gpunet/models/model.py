"""``Model``: functional (``Model(inputs, outputs)``) or subclassed (``call``); a model is a layer,
so calling it on new tensors reuses its weights."""
from __future__ import annotations

import gpunet as gn
from gpunet.layers.base import Layer, Node, shape_tuple, tensor_mask, to_list, unique_in_order, unpack

from . import saving, summary
from .network import LayerGraph, forgetting_calls, input_masks, single_or_list
from .training import TrainingMixin

__all__ = ["Model"]


class Model(TrainingMixin, Layer):
    """``Model(inputs, outputs)`` builds a functional model from Input tensors and layer outputs;
    a subclass without those arguments defines ``call(inputs)`` and assigns its layers to
    attributes (their weights become the model's)."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_training()
        self._graph = None
        self.inputs, self.outputs = None, None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both inputs= and outputs=")
            self._init_graph_network(inputs, outputs)

    def _init_graph_network(self, inputs, outputs):
        rebuilt = self._graph is not None  # Sequential reconnects after each add
        self._graph = LayerGraph(inputs, outputs)
        self.inputs, self.outputs = self._graph.inputs, self._graph.outputs
        self._sublayers = list(self._graph.layers)
        self.built = True
        # node 0 is the construction itself (the outputs keep the history of their own layers)
        node = Node(self, list(self.inputs), list(self.outputs), {}, len(self.inputs) > 1)
        if rebuilt:
            self._inbound_nodes[0] = node
        else:
            self._inbound_nodes.insert(0, node)

    @property
    def is_graph_network(self):
        return self._graph is not None

    @property
    def layers(self):
        return list(self._sublayers)

    @property
    def weights(self):
        """Each layer's weights (its trainable then its non-trainable ones) in layer order, then the model's own:
        tf_keras 2's order, which ``get_weights`` / ``set_weights`` and saved files follow."""
        inner = [w for sub in self._sublayers for w in sub.weights]
        return unique_in_order(inner + self._own_trainable + self._own_non_trainable)

    def get_layer(self, name=None, index=None):
        """The layer called ``name`` (or at position ``index``)."""
        if index is not None:
            if index >= len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[item.name for item in self.layers]}.")

    @property
    def input_names(self):
        return [_layer_name(t, t.op.name) for t in self.inputs] if self.inputs else []

    @property
    def output_names(self):
        return [_layer_name(t, f"output_{i + 1}") for i, t in enumerate(self.outputs)] if self.outputs else []

    @property
    def input_shape(self):
        if self.inputs is None:
            raise AttributeError(f"The model {self.name} has not been built yet, so it has no input shape.")
        return unpack([shape_tuple(t) for t in self.inputs])

    @property
    def output_shape(self):
        if self.outputs is None:
            raise AttributeError(f"The model {self.name} has not been built yet, so it has no output shape.")
        return unpack([shape_tuple(t) for t in self.outputs])

    # -- calling ------------------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError(f"Model {self.name}: subclasses of Model must implement call(inputs)")
        masks = None if mask is None else input_masks(mask, len(self.inputs))
        return single_or_list(self._graph.replay(inputs, training, masks))

    def compute_mask(self, inputs, mask=None):
        """The mask(s) the outputs of a functional model carry for ``inputs`` (tensors or arrays) whose masks are
        ``mask`` (one, or one per input; None: unmasked), as graph tensors (None for an output without one), as
        tf_keras 2's: the layers run again on ``inputs`` (leaving no nodes, losses or updates behind). A
        subclassed model has no output mask (and refuses a mask unless it sets ``supports_masking``)."""
        if self._graph is None:
            return super().compute_mask(inputs, mask)
        tensors = [gn.convert_to_tensor(t) for t in to_list(inputs)]
        with forgetting_calls(self._all_layers()), gn.name_scope(f"{self.name}_compute_mask"):
            outputs = self._graph.replay(tensors, masks=input_masks(mask, len(self.inputs)))
        return single_or_list([tensor_mask(t) for t in outputs])

    def _handles_masks(self):
        # a functional model's outputs already carry the masks its layers gave them (computing them again would
        # run the layers twice); a subclassed model follows Layer's rule
        if self._graph is not None:
            return False
        return self.supports_masking or type(self).compute_mask is not Model.compute_mask

    def compute_output_shape(self, input_shape):
        if self._graph is None:
            raise NotImplementedError(f"Model {self.name}: output shapes are known once the model was called")
        return unpack([shape_tuple(t) for t in self.outputs])

    def _build_for_data(self, arrays):
        """Subclassed models get their input placeholders from the first data they see, with its dtype
        (integer ids stay integers for Embedding; anything not a number becomes float32)."""
        if self.outputs is not None:
            return
        placeholders = [gn.placeholder(gn.as_dtype(a.dtype.name) if a.dtype.kind in "fiu" else gn.float32,
                                       shape=(None,) + a.shape[1:], name=f"input_{i + 1}")
                        for i, a in enumerate(arrays)]
        outputs = self(unpack(placeholders))
        self.inputs, self.outputs = placeholders, to_list(outputs)

    # -- config, summary, saving ---------------------------------------------------------------------
    def get_config(self):
        if self._graph is None:
            raise NotImplementedError(f"Model {self.name} is a subclassed model: its config cannot be saved "
                                      f"(save_weights works).")
        return saving.functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        return saving.functional_from_config(config, custom_objects, safe_mode)

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print the layers, their output shapes and parameter counts (Keras 2's layout)."""
        if not self.built:  # Keras 2 refuses too: there are no shapes or weights to show yet
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                             "calling the model on a batch of data.")
        summary.print_summary(self, line_length, positions, print_fn or print)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """``filepath.json`` (architecture and compile settings) + ``filepath.safetensors`` (weights and,
        with ``include_optimizer``, the optimizer's slots and iterations). Subclassed models cannot be saved
        whole (their architecture is Python code): use ``save_weights``."""
        if self._graph is None and type(self).get_config is Model.get_config:
            raise NotImplementedError(
                f"Model {self.name} is a subclassed model: saving it whole requires a functional or Sequential "
                f"model, because a subclassed model is defined by the body of its call() method, which cannot be "
                f"safely serialized. Use model.save_weights(path) and rebuild the model in code before "
                f"load_weights.")
        saving.save_model(self, filepath, overwrite, include_optimizer)

    def to_json(self, **kwargs):
        """The architecture (no weights) as a JSON string; ``gn.models.model_from_json`` rebuilds it."""
        return saving.model_to_json(self, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """The weights as safetensors at ``filepath`` (``.safetensors`` added when it has no extension)."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Load weights saved by save_weights/save; every shape is checked before any is assigned.
        ``by_name=True`` loads into the layers of the same name (``skip_mismatch=True`` skips, with a
        warning, those whose weights do not fit)."""
        saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)


def _layer_name(tensor, default):
    found = getattr(tensor, "_keras_history", None)
    return found[0].name if found is not None and not isinstance(found[0], Model) else default

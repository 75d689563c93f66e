"""``Masking``: marks the time steps whose features all equal ``mask_value`` as skipped for the layers after it."""
from __future__ import annotations

import gpunet as gn

from .base import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """For inputs ``(batch, timesteps, features...)``, a step is kept where any feature differs from
    ``mask_value``. The output is the input with skipped steps set to 0; its mask ``(batch, timesteps)`` (true
    where kept) travels on to the next layers (recurrent layers then carry their state over skipped steps)."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def _keep(self, inputs, keepdims):
        return gn.reduce_any(gn.not_equal(inputs, gn.cast(self.mask_value, inputs.dtype)), axis=-1,
                             keepdims=keepdims)

    def call(self, inputs):
        return inputs * gn.cast(self._keep(inputs, True), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        """True at the steps where some feature differs from ``mask_value``."""
        return self._keep(inputs, False)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}

"""``cupyx`` of the CuPy double (a model of CuPy, not CuPy)."""
import numpy as np


def scatter_add(a, slices, value):
    """As ``cupyx.scatter_add``: ``cupy.add.at`` (out-of-range indices wrap)."""
    from ._functions import ufunc
    ufunc(np.add).at(a, slices, value)

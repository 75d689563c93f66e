"""Cases for the special functions (gn.erf, gn.erfc) against math.erf / math.erfc, on both sides of the split
between their series and continued-fraction forms (|x| = 1.5)."""
import math

import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand

_ERF = np.vectorize(math.erf, otypes=[np.float64])
_ERFC = np.vectorize(math.erfc, otypes=[np.float64])

CASES = [
    OpCase("Erf", gn.erf, [rand(2, 3)], _ERF),
    OpCase("Erf", gn.erf, [rand(3, 4, low=-4.0, high=4.0, seed=1)], _ERF, id="Erf-wide-range"),
    OpCase("Erfc", gn.erfc, [rand(2, 3)], _ERFC),
    OpCase("Erfc", gn.erfc, [rand(3, 4, low=-4.0, high=4.0, seed=1)], _ERFC, id="Erfc-wide-range"),
]
EXEMPT = {}

"""``gpunet.compat.v1`` is ``gpunet`` itself: every TF1 name under one more path."""
import sys

import gpunet as _gpunet

sys.modules[__name__] = _gpunet

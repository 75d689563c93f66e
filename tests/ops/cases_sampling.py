"""Registry-walk cases of the candidate sampler: its deterministic outputs (expected counts without
``unique``; the candidates when ``unique`` must take every class). Randomness, seeding and the
sampled losses: tests/ops/test_candidate_sampling.py."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase

TRUE_CLASSES = np.array([[0, 9], [3, 3], [7, 1]], np.int64)

CASES = [
    OpCase("CandidateSampler", lambda t: gn.nn.log_uniform_candidate_sampler(t, 2, 3, False, 10, seed=1)[1],
           [TRUE_CLASSES], lambda t: 3 * np.log((t + 2.0) / (t + 1.0)) / np.log(11.0), grad=False,
           id="CandidateSampler-log-uniform-true-expected"),
    OpCase("CandidateSampler", lambda t: gn.nn.uniform_candidate_sampler(t, 2, 4, False, 10, seed=1)[2],
           [TRUE_CLASSES], lambda t: np.full(4, 0.4), grad=False, id="CandidateSampler-uniform-sampled-expected"),
    OpCase("CandidateSampler",
           lambda t: gn.reduce_sum(gn.nn.log_uniform_candidate_sampler(t, 2, 6, True, 6, seed=4)[0]),
           [TRUE_CLASSES], lambda t: np.int64(15), grad=False, id="CandidateSampler-unique-takes-every-class"),
]

EXEMPT = {}

"""The collective all-reduce (gpunet/ops/collective_ops.py) has no single-op case: its ops run one per
device and meet at run time. tests/parallel/test_collective.py sweeps it (shapes, dtypes, 1/2/4
devices, flat loop and concurrent executor) and tests/parallel/test_nccl.py runs it on CuPy GPUs."""

CASES = []
EXEMPT = {"CollectiveAllReduce": "one op per device meeting at run time: tests/parallel/test_collective.py, "
                                 "tests/parallel/test_nccl.py"}

"""``gpunet-bench run`` flags (tf_cnn_benchmarks' names) and their checks, all made before any work:
a bad flag is one line on stderr and exit status 2."""
from __future__ import annotations

import argparse
import os
import re
import sys

from .graph import OPTIMIZERS
from .models import MODELS

__all__ = ["FlagError", "Parser", "run_parser", "device_sets"]

VARIABLE_UPDATES = ("parameter_server", "replicated", "independent")
DATA = ("synthetic", "digits", "mnist")


class FlagError(ValueError):
    """A flag the benchmark cannot run with; its message is the one line the user sees."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (``prog: error: ...``) and exits 2."""

    def error(self, message):
        """One line on stderr, exit status 2 (argparse prints the whole usage first)."""
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def run_parser(prog="gpunet-bench run") -> Parser:
    """The parser of ``run``."""
    p = Parser(prog=prog, description="Train a model data-parallel on N (virtual) GPUs and report images/sec.")
    p.add_argument("--model", choices=sorted(MODELS), default="trivial")
    p.add_argument("--data", choices=DATA, default="synthetic",
                   help="synthetic (learnable: labels are a fixed function of the images), digits or mnist")
    p.add_argument("--batch_size", type=_positive, default=32, help="images per replica per step")
    p.add_argument("--global_batch_size", type=_positive, default=None,
                   help="images per step over all replicas (instead of --batch_size; must divide evenly)")
    p.add_argument("--num_gpus", default=None, help="a count, or a list of counts such as 1,2,4 (a scaling run)")
    p.add_argument("--devices", default=None, help="the GPUs by name, e.g. /gpu:0,/gpu:1")
    p.add_argument("--variable_update", choices=VARIABLE_UPDATES, default="parameter_server")
    p.add_argument("--local_parameter_device", choices=("cpu", "gpu"), default="cpu",
                   help="where the shared variables live and gradients are combined: the host or the first GPU")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    p.add_argument("--learning_rate", type=_positive_float, default=None, help="default: the model's own")
    p.add_argument("--num_batches", type=_positive, default=100, help="timed steps")
    p.add_argument("--num_warmup_batches", type=_non_negative, default=5, help="untimed steps first")
    p.add_argument("--forward_only", action="store_true", help="inference only: no gradients, no update")
    p.add_argument("--display_every", type=_positive, default=10, help="print a step line every N steps")
    p.add_argument("--json", default=os.environ.get("GPUNET_BENCH_JSON"), metavar="PATH",
                   help="write the results here (default: $GPUNET_BENCH_JSON, else nowhere)")
    p.add_argument("--trace", default=None, metavar="PATH", help="write a Chrome trace of one step here")
    p.add_argument("--log_device_placement", action="store_true", help="log where every op runs (stderr)")
    p.add_argument("--seed", type=_non_negative, default=1)
    p.add_argument("--width", type=_positive, default=16, help="channel width of the conv models (ResNet-20: 16)")
    p.add_argument("--image_size", type=_positive, default=None, help="synthetic image side (default: the model's)")
    return p


def device_sets(num_gpus, devices) -> list[tuple]:
    """The GPU lists to run, one per configuration: ``--num_gpus 1,2`` -> [('/gpu:0',), ('/gpu:0', '/gpu:1')]."""
    if num_gpus is not None and devices is not None:
        raise FlagError("give --num_gpus or --devices, not both")
    if devices is not None:
        return [_parse_devices(devices)]
    counts = _parse_counts(num_gpus or "1")
    return [tuple(f"/gpu:{i}" for i in range(n)) for n in counts]


def _parse_counts(text):
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise FlagError(f"--num_gpus must be a count or a comma-separated list of counts, got {text!r}") from None
    if any(n < 1 for n in counts):
        raise FlagError(f"--num_gpus counts must be at least 1, got {text!r}")
    if len(set(counts)) != len(counts):
        raise FlagError(f"--num_gpus lists a count twice: {text!r}")
    return counts


def _parse_devices(text):
    ids = []
    for part in text.split(","):
        match = re.fullmatch(r"/(?:gpu:|device:GPU:)(\d+)", part.strip(), flags=re.IGNORECASE)
        if not match:
            raise FlagError(f"--devices takes GPU names such as /gpu:0,/gpu:1; {part.strip()!r} is not one")
        ids.append(int(match.group(1)))
    if len(set(ids)) != len(ids):
        raise FlagError(f"--devices names a GPU twice: {text!r}")
    return tuple(f"/gpu:{i}" for i in ids)


def _positive(text):
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _non_negative(text):
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value

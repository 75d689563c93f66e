"""``gpunet-bench run``: checks every flag, chooses the devices (virtual GPUs where there is no GPU),
then runs one configuration per device set and reports each, and a scaling table for several."""
from __future__ import annotations

import os
from dataclasses import dataclass

import gpunet as gn

from . import data, records
from .flags import FlagError, device_sets, run_parser
from .graph import GraphOptions, default_learning_rate
from .models import MODELS
from .report import Printer, scaling_rows
from .runner import RunSpec, run_configuration

__all__ = ["main", "plan_runs"]


@dataclass(frozen=True)
class GpuSupply:
    """How many GPUs there are (None: virtual ones made on demand) and why they are virtual, if so."""

    count: int | None
    virtual_reason: str | None


def main(argv=None, out=None) -> int:
    """Parses, checks, runs. Exit status 2 (one line on stderr) for a bad flag, before any work."""
    parser = run_parser()
    args = parser.parse_args(argv)
    try:
        specs, supply = plan_runs(args)
    except FlagError as exc:
        parser.error(str(exc))
    printer = Printer(out)
    wanted = {"/cpu:0"}.union(*(s.graph.devices for s in specs))
    used = [d for d in gn.config.list_logical_devices() if d.short_name in wanted]
    printer.device_mapping(used, supply.virtual_reason)
    results = [_run_one(args, spec, printer, used) for spec in specs]
    if len(specs) > 1:
        printer.scaling(scaling_rows([(r["num_devices"], r["images_per_sec"]["total"]) for r in results]))
    if args.json:
        records.write_records(args.json, results)
        printer.line(f"results written to {args.json}")
    return 0


def _run_one(args, spec, printer, devices):
    printer.configuration(_describe(spec))
    measured = run_configuration(spec, printer)
    result = records.record(vars(args), spec, measured, [d for d in devices if d.device_type == "CPU"
                                                         or d.short_name in spec.graph.devices])
    printer.total(result["images_per_sec"]["total"])
    return result


def plan_runs(args):
    """The RunSpecs of ``args`` and the GPU supply; FlagError for anything that cannot run."""
    sets = device_sets(args.num_gpus, args.devices)
    _check_batches(args, sets)
    supply = _supply(max(int(d.rsplit(":", 1)[1]) for s in sets for d in s) + 1)
    spec = MODELS[args.model]
    shape = data.image_shape(args.data, spec.image_size, spec.channels, args.image_size)
    _check_data(args.data)
    for flag, path in (("--json", args.json), ("--trace", args.trace)):
        _check_writable(flag, path)
    return [_spec(args, spec, shape, devices) for devices in sets], supply


def _spec(args, model, shape, devices):
    batch = args.global_batch_size // len(devices) if args.global_batch_size else args.batch_size
    host = "/cpu:0" if args.local_parameter_device == "cpu" else devices[0]
    rate = args.learning_rate or default_learning_rate(model, args.optimizer)
    options = GraphOptions(model, shape, devices, args.variable_update, host, args.optimizer, rate,
                           args.forward_only, args.width)
    return RunSpec(options, args.data, batch, args.num_batches, args.num_warmup_batches, args.display_every,
                   args.seed, args.trace, args.log_device_placement)


def _check_batches(args, sets):
    if args.global_batch_size is None:
        return
    for devices in sets:
        if args.global_batch_size % len(devices):
            raise FlagError(f"--global_batch_size {args.global_batch_size} is not divisible by {len(devices)} "
                            f"devices: each replica must get the same number of images")


def _supply(needed: int) -> GpuSupply:
    """Real GPUs where there are some; else the virtual ones of GPUNET_VIRTUAL_GPUS, or ``needed``
    virtual GPUs made now. FlagError when fewer GPUs exist than ``needed``."""
    physical = len(gn.config.list_physical_devices("GPU"))
    try:
        logical = len(gn.config.list_logical_devices("GPU"))
    except ValueError as exc:  # a bad GPUNET_VIRTUAL_GPUS
        raise FlagError(str(exc)) from None
    configured = logical if logical and (not physical or logical != physical) else 0
    if configured:
        supply = GpuSupply(configured, f"GPUNET_VIRTUAL_GPUS={configured}"
                           + (f" over {physical} physical GPU(s)" if physical else ", in host memory"))
    elif physical:
        supply = GpuSupply(physical, None)
    else:
        supply = GpuSupply(None, f"no GPU found here, so {needed} virtual GPU(s) in host memory stand in")
    _check_count(supply, needed)
    return supply


def _check_count(supply, needed):
    if supply.count is None:
        try:
            gn.config.set_virtual_gpus(needed)
        except ValueError:
            raise FlagError(f"asked for {needed} GPUs, more than virtual GPUs can stand in for") from None
    elif needed > supply.count:
        raise FlagError(f"asked for {needed} GPUs (up to /gpu:{needed - 1}), but this machine has {supply.count}")


def _check_writable(flag, path):
    """The results must have somewhere to go before any work starts (a read-only /results mount...)."""
    if not path:
        return
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise FlagError(f"{flag} {path}: cannot create its folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK) or os.path.isdir(path):
        raise FlagError(f"{flag} {path}: cannot write there")


def _check_data(name):
    if name == "mnist":
        from gpunet.datasets import mnist
        try:
            mnist.load_data()
        except (FileNotFoundError, ValueError) as exc:
            raise FlagError(f"--data mnist: {' '.join(str(exc).split())}") from None
    elif name == "digits":
        try:
            import sklearn  # noqa: F401  (the digits ship with scikit-learn)
        except ImportError:
            raise FlagError("--data digits needs scikit-learn: pip install 'gpunet[datasets]'") from None


def _describe(spec) -> str:
    g = spec.graph
    mode = "forward only" if g.forward_only else f"optimizer {g.optimizer} (learning rate {g.learning_rate:g})"
    return (f"Model: {g.spec.name}, input {'x'.join(map(str, g.shape))} ({spec.data}), batch {spec.batch_size} per "
            f"replica, {spec.global_batch} global; devices {','.join(g.devices)}; variable_update "
            f"{g.variable_update}, parameters on {g.host}; {mode}; {spec.num_batches} steps after "
            f"{spec.num_warmup_batches} warm-up")

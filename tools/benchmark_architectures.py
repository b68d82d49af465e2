"""Milliseconds per frame of every architecture that converts from PyTorch,
Keras on each backend beside the reference PyTorch module, same weights.

    python tools/benchmark_architectures.py [--configs NAME ...] [--runs 3] [--warmup 1]
        [--output-size 1024] [--backends tensorflow jax torch]
        [--reference-python /work/refenv/bin/python] [--list]

The architectures are those of the converter registry
(`keras_vsr.models.conversion.converters()`); their full-size
configurations are the key/shape lists the reference tools recorded
(`tests/fixtures/reference/<name>_keys.json`), each assigned to the
converter that detects it. `--configs` picks some of them by name
(default: all); `--list` prints them and exits.

For each configuration, one process of the reference environment (torch +
spandrel) builds spandrel's module from the key list, gives its parameters
random values and writes its state dict to a temporary `.safetensors` file;
it then times the module in eval mode under `torch.inference_mode`, NCHW
and then `channels_last`. One process per Keras backend converts that file
(`keras_vsr.models.conversion.convert_state_dict`) and times
`backbone.predict_on_batch`. Every process runs `--warmup` untimed calls,
then `--runs` timed ones, and reports the median. The input is one frame of
`output_size / scale` pixels square (256x256 for x4 models, 512x512 for x2,
at the default 1024), the same random frame for all. The table also gives
the largest difference between each Keras output and the reference output,
relative to the reference's largest value: the timed computations are the
same. (Random full-size weights are badly conditioned: on SPAN x2 with these
weights, PyTorch's own float32 and float64 outputs differ by 3e-4 of the
largest value on a 48x48 input, so differences of that order are rounding;
the tests prove the 1e-4 equivalence on tamer weights.)

SPAN's PyTorch module holds its training-time branches and merges them into
one kernel per block on every call (spandrel's eval mode); the Keras model
holds the merged kernels.

Figures are wall-clock on this machine's CPU, every process using the
threads its framework chooses.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KEY_LISTS = REPO / "tests" / "fixtures" / "reference"
REFERENCE_TOOLS = REPO / "tools" / "reference"
DEFAULT_REFERENCE_PYTHON = "/work/refenv/bin/python"
BACKENDS = ("tensorflow", "jax", "torch")


def median_ms(call, warmup, runs):
    """Run `call()` `warmup` times untimed, then `runs` times: the median
    wall-clock time in milliseconds and the last call's result."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def zero_state_dict(keys_file):
    """`{key: zeros}` of the shapes in a `<name>_keys.json`."""
    shapes = json.loads(Path(keys_file).read_text())
    return {key: np.zeros(shape, "float32") for key, shape in shapes.items()}


def plan(names=None):
    """The full-size configurations to time: dicts with `name`,
    `architecture`, `scale` and `keys` (the key-list file), in the
    registry's order of architectures."""
    from keras_vsr.models.conversion import StateDict, converters, find_converter

    by_architecture = {c.name: [] for c in converters()}
    for keys_file in sorted(KEY_LISTS.glob("*_keys.json")):
        name = keys_file.name[: -len("_keys.json")]
        if names and name not in names:
            continue
        state_dict = StateDict(zero_state_dict(keys_file))
        converter = find_converter(state_dict)
        scale = converter.config(state_dict).get("scale", 1)
        by_architecture[converter.name].append(
            {"name": name, "architecture": converter.name, "scale": int(scale), "keys": str(keys_file)}
        )
    unknown = set(names or ()) - {c["name"] for group in by_architecture.values() for c in group}
    if unknown:
        raise SystemExit(f"No key list for: {', '.join(sorted(unknown))}. See --list.")
    return [config for group in by_architecture.values() for config in group]


def reference_worker(args):
    """In the reference environment: write random weights, time spandrel's module."""
    import torch
    from safetensors.torch import save_file
    from spandrel import ModelLoader

    spec = importlib.util.spec_from_file_location("reference_common", REFERENCE_TOOLS / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)

    zeros = {k: torch.from_numpy(v) for k, v in zero_state_dict(args.keys).items()}
    detected = ModelLoader().load_from_state_dict(zeros).model
    # A fresh module: its buffers (position indices, masks) are its own, not zeros.
    module = common.randomize(type(detected)(**detected.hyperparameters), seed=0)
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, args.weights)

    x = torch.from_numpy(np.load(args.input)).permute(0, 3, 1, 2).contiguous()
    result = {"parameters": sum(p.numel() for p in module.parameters())}
    with torch.inference_mode():
        result["nchw_ms"], y = median_ms(lambda: module(x), args.warmup, args.runs)
        np.save(args.output, y.permute(0, 2, 3, 1).numpy())
        module = module.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
        result["channels_last_ms"], _ = median_ms(lambda: module(x), args.warmup, args.runs)
    print(json.dumps(result))


def keras_worker(args):
    """In the main environment, `KERAS_BACKEND` set: convert and time."""
    from keras_vsr.io.checkpoints import read_state_dict
    from keras_vsr.models.conversion import convert_state_dict

    _, backbone, _ = convert_state_dict(read_state_dict(args.weights))
    x = np.load(args.input)
    ms, y = median_ms(lambda: np.asarray(backbone.predict_on_batch(x)), args.warmup, args.runs)
    reference = np.load(args.output)
    error = float(np.abs(y - reference).max() / max(np.abs(reference).max(), 1e-12))
    print(json.dumps({"ms": ms, "relative_error": error, "parameters": backbone.count_params()}))


def run_worker(python, role, config, workdir, args, env=None):
    command = [
        python, str(Path(__file__).resolve()), "--worker", role,
        "--keys", config["keys"],
        "--weights", str(workdir / "weights.safetensors"),
        "--input", str(workdir / "input.npy"),
        "--output", str(workdir / "reference_output.npy"),
        "--runs", str(args.runs), "--warmup", str(args.warmup),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        return {"failed": (done.stderr.strip().splitlines() or ["(no message)"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(config, args):
    """One row: the reference's and each backend's figures for `config`."""
    size = args.output_size // config["scale"]
    row = {**config, "input": size}
    with tempfile.TemporaryDirectory(prefix="benchmark_architectures_") as tmp:
        workdir = Path(tmp)
        frame = np.random.default_rng(0).random((1, size, size, 3), dtype=np.float32)
        np.save(workdir / "input.npy", frame)
        row["reference"] = run_worker(args.reference_python, "reference", config, workdir, args)
        print(f"{config['name']}: reference {row['reference']}", file=sys.stderr, flush=True)
        if "failed" in row["reference"]:
            return row
        for backend in args.backends:
            row[backend] = run_worker(sys.executable, "keras", config, workdir, args, {"KERAS_BACKEND": backend})
            print(f"{config['name']}: {backend} {row[backend]}", file=sys.stderr, flush=True)
    return row


def cell(result, key="ms"):
    if "failed" in result:
        return "failed"
    return f"{result[key]:,.0f}"


def table(rows, backends):
    """The Markdown table of `rows`."""
    header = (
        ["architecture", "configuration", "input -> output", "parameters (Keras / PyTorch)"]
        + [f"Keras {b}" for b in backends]
        + ["PyTorch NCHW", "PyTorch channels_last", "fastest Keras / fastest PyTorch", "max relative difference"]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ref = row["reference"]
        size, out = row["input"], row["input"] * row["scale"]
        cells = [row["architecture"], row["name"], f"{size}x{size} -> {out}x{out}"]
        if "failed" in ref:
            lines.append("| " + " | ".join(cells + [f"reference failed: {ref['failed']}"]) + " |")
            continue
        keras_results = [row[b] for b in backends]
        counts = [r["parameters"] for r in keras_results if "failed" not in r][:1] + [ref["parameters"]]
        cells.append(" / ".join(f"{n / 1e6:.2f} M" for n in counts))
        cells += [cell(r) for r in keras_results]
        cells += [cell(ref, "nchw_ms"), cell(ref, "channels_last_ms")]
        timed = [r["ms"] for r in keras_results if "failed" not in r]
        best_reference = min(ref["nchw_ms"], ref["channels_last_ms"])
        cells.append(f"{min(timed) / best_reference:.2f}" if timed else "-")
        errors = [r["relative_error"] for r in keras_results if "failed" not in r]
        cells.append(f"{max(errors):.1e}" if errors else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", help="key-list names to time (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="print the configurations and exit")
    parser.add_argument("--runs", type=int, default=3, help="timed calls per process (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first")
    parser.add_argument("--output-size", type=int, default=1024, help="output side; input = this / scale")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    parser.add_argument("--worker", choices=("reference", "keras"), help=argparse.SUPPRESS)
    for hidden in ("--keys", "--weights", "--input", "--output"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.output_size < 1:
        parser.error("--runs must be >= 1, --warmup >= 0 and --output-size >= 1")

    if args.worker == "reference":
        return reference_worker(args)
    if args.worker == "keras":
        return keras_worker(args)

    configs = plan(args.configs)
    if args.list:
        for config in configs:
            print(f"{config['name']}  ({config['architecture']}, x{config['scale']})")
        return
    rows = [measure(config, args) for config in configs]
    print(
        f"ms per frame, median of {args.runs} after {args.warmup} warm-up call(s); "
        f"output {args.output_size}x{args.output_size}; {os.cpu_count()} CPU cores"
    )
    print(table(rows, args.backends))


if __name__ == "__main__":
    main()

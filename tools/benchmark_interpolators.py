"""Milliseconds per interpolated frame: RIFE's IFNet (full size, v4.25 /
v4.26 layout) on each Keras backend beside ccvfi's PyTorch IFNet with the
same weights, and the bundled interpolators.

    python tools/benchmark_interpolators.py [--size 540x960] [--runs 3] [--warmup 1]
        [--backends tensorflow jax torch] [--reference-python /work/refenv/bin/python]
        [--no-bundled]

One process of the reference environment (torch + ccvfi) gives ccvfi's
`IFNet` random weights (seeded), writes its state dict to a temporary
`.safetensors` file and times the module as RIFE's inference runs it: the
frame pair zero-padded to a multiple of 64, `torch.inference_mode`, t = 0.5.
One process per Keras backend converts that file
(`keras_vsr.models.conversion.convert_state_dict`) and times
`IFNetInterpolator.predict_middle` on the same pair (float32 (1, h, w, 3)),
then each bundled interpolator's `predict_middle` (grey models run R, G and
B as three grey frames, their `colour_mode` default). Every process makes
`--warmup` untimed calls (tracing, compilation), then `--runs` timed ones,
and reports the median. The table gives the largest difference between each
Keras IFNet frame and the reference frame: the same computation is timed.

Figures are wall-clock on this machine's CPU, each framework with the
threads it chooses.
"""

import argparse
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
DEFAULT_REFERENCE_PYTHON = "/work/refenv/bin/python"
BACKENDS = ("tensorflow", "jax", "torch")
SEED = 0


def median_ms(call, warmup, runs):
    """The median wall-clock milliseconds of `call()` over `runs` calls,
    after `warmup` untimed ones; and the last result."""
    for _ in range(warmup):
        result = call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), result


def frame_pair(size):
    """Two smooth random float32 frames `(1, h, w, 3)`, the second shifted."""
    h, w = size
    rng = np.random.default_rng(SEED)
    coarse = rng.random((h // 8 + 2, w // 8 + 2, 3)).astype("float32")
    big = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1)
    return big[None, :h, :w].copy(), big[None, 4 : 4 + h, 3 : 3 + w].copy()


def reference_worker(args):
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    import importlib.util

    from ccvfi.arch.ifnet_arch import IFNet

    spec = importlib.util.spec_from_file_location("reference_common", REPO / "tools" / "reference" / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    randomize = common.randomize

    torch.set_grad_enabled(False)
    model = randomize(IFNet(), SEED)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.workdir / "ifnet.safetensors"))
    a, b = (torch.from_numpy(x).permute(0, 3, 1, 2) for x in frame_pair(args.size))
    h, w = args.size
    padding = (0, (-w) % 64, 0, (-h) % 64)
    x = torch.cat((F.pad(a, padding), F.pad(b, padding)), 1)

    def call():
        with torch.inference_mode():
            return model(x, 0.5)[:, :, :h, :w]

    ms, out = median_ms(call, args.warmup, args.runs)
    np.save(args.workdir / "reference.npy", out.permute(0, 2, 3, 1).numpy())
    return {"ms": ms, "torch": torch.__version__, "threads": torch.get_num_threads()}


def keras_worker(args):
    import keras

    from keras_vsr.io.checkpoints import read_state_dict
    from keras_vsr.models import IFNetInterpolator, list_presets
    from keras_vsr.models.conversion import convert_state_dict
    from keras_vsr.inference.tasks import build_task

    a, b = frame_pair(args.size)
    _, backbone, _ = convert_state_dict(read_state_dict(args.workdir / "ifnet.safetensors"))
    ifnet = IFNetInterpolator(backbone, compile=False)
    ms, out = median_ms(lambda: ifnet.predict_middle(a, b, batch_size=1), args.warmup, args.runs)
    reference = np.load(args.workdir / "reference.npy")
    result = {"backend": keras.backend.backend(), "ifnet": ms, "max_diff": float(np.abs(out - reference).max())}
    if args.bundled:
        for preset in list_presets():
            if preset["class"] not in ("ConvLSTMInterpolatorBackbone", "FFCInterpolatorBackbone"):
                continue
            task = build_task(preset["name"], "interpolate")
            result[preset["name"]], _ = median_ms(lambda: task.predict_middle(a, b, batch_size=1), args.warmup,
                                                  args.runs)
    return result


def run_worker(python, role, args, backend=None):
    command = [python, __file__, "--worker", role, "--workdir", str(args.workdir),
               "--size", f"{args.size[0]}x{args.size[1]}", "--runs", str(args.runs), "--warmup", str(args.warmup)]
    if not args.bundled:
        command.append("--no-bundled")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if backend:
        env["KERAS_BACKEND"] = backend
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def table(reference, results, size):
    h, w = size
    names = ["ifnet"] + sorted({k for r in results for k in r} - {"backend", "ifnet", "max_diff", "error"})
    lines = [
        f"ms per interpolated {h}x{w} frame (median), CPU ({os.cpu_count()} cores)",
        "",
        "| model | " + " | ".join(r.get("backend", "?") for r in results) + " | PyTorch (ccvfi) |",
        "|---|" + "---|" * (len(results) + 1),
    ]
    for name in names:
        label = "IFNet (RIFE v4.25/4.26, random weights)" if name == "ifnet" else name
        cells = [f"{r[name]:.0f}" if name in r else r.get("error", "-") for r in results]
        ref = f"{reference['ms']:.0f}" if name == "ifnet" and "ms" in reference else "-"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ref} |")
    diffs = ", ".join(f"{r['backend']} {r['max_diff']:.1e}" for r in results if "max_diff" in r)
    lines += ["", f"Largest |Keras - PyTorch| of the IFNet frame: {diffs}."]
    return "\n".join(lines)


def parse_size(text):
    h, w = (int(v) for v in text.lower().split("x"))
    return h, w


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=(540, 960), help="HxW (default 540x960)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    parser.add_argument("--no-bundled", dest="bundled", action="store_false", help="IFNet only")
    parser.add_argument("--worker", choices=("reference", "keras"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker = reference_worker if args.worker == "reference" else keras_worker
        print(json.dumps(worker(args)))
        return
    with tempfile.TemporaryDirectory() as workdir:
        args.workdir = Path(workdir)
        reference = run_worker(args.reference_python, "reference", args)
        if "error" in reference:
            raise SystemExit(f"reference: {reference['error']}")
        results = [{"backend": b, **run_worker(sys.executable, "keras", args, b)} for b in args.backends]
    print(table(reference, results, args.size))


if __name__ == "__main__":
    main()

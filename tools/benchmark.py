"""Milliseconds per frame for 270x480 -> 1080x1920 (x4), side by side.

    python tools/benchmark.py [--preset NAME] [--frames 5] [--backends tensorflow torch jax]

Each backend runs in its own process (a Keras backend is fixed per process);
each process warms up on one frame (compilation), then times `--frames`
frames through `SuperResolver.predict_on_batch`. torch's bicubic
interpolation is the floor. Figures are wall-clock on this machine's CPU.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, os, sys, time
import numpy as np
import keras_vsr
from keras_vsr.models import SuperResolver
preset, frames = sys.argv[1], int(sys.argv[2])
task = SuperResolver.from_preset(preset, compile=False)
x = np.random.default_rng(0).random((1, 270, 480, 3)).astype("float32")
task.predict_on_batch(x)
times = []
for _ in range(frames):
    t = time.perf_counter(); y = task.predict_on_batch(x); times.append(time.perf_counter() - t)
print(json.dumps({"ms": 1000 * float(np.median(times)), "shape": list(np.shape(y)), "params": task.count_params()}))
"""

BICUBIC = r"""
import json, sys, time
import numpy as np, torch
frames = int(sys.argv[1])
x = torch.rand(1, 3, 270, 480)
torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
times = []
for _ in range(frames):
    t = time.perf_counter()
    torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    times.append(time.perf_counter() - t)
print(json.dumps({"ms": 1000 * float(np.median(times)), "shape": [1, 1080, 1920, 3]}))
"""


def run(code, args, backend=None):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if backend:
        env["KERAS_BACKEND"] = backend
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    from keras_vsr.inference import DEFAULT_PRESET

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    args = parser.parse_args(argv)
    module = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}

    rows = []
    for backend in args.backends:
        if importlib.util.find_spec(module[backend]) is None:
            rows.append((f"{args.preset} [{backend}]", {"error": "not installed"}))
            continue
        rows.append((f"{args.preset} [{backend}]", run(WORKER, [args.preset, args.frames], backend)))
    if importlib.util.find_spec("torch") is not None:
        rows.append(("bicubic [torch F.interpolate]", run(BICUBIC, [args.frames])))

    print(f"270x480 -> 1080x1920, median of {args.frames} frames after one warm-up, {os.cpu_count()} CPU cores")
    print(f"{'model':<48}{'ms/frame':>10}{'frames/s':>10}{'params':>10}")
    for name, r in rows:
        if "error" in r:
            print(f"{name:<48}  {r['error']}")
        else:
            params = f"{r['params']:,}" if "params" in r else "-"
            print(f"{name:<48}{r['ms']:>10.1f}{1000 / r['ms']:>10.2f}{params:>10}")


if __name__ == "__main__":
    main()

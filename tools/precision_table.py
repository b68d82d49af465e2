"""Speed and quality of each bundled SR preset per backend and precision (README table).

    python tools/precision_table.py [--presets NAME ...] [--backends tensorflow torch jax] [--frames 2]

One process per backend. For each preset (every bundled super-resolution
preset with Set5 figures in its metadata, unless `--presets`) and each of
float32, bfloat16 and float16 (`keras_vsr.utils.precision`), it times
`predict_on_batch` on a 135x240 frame (median of `--frames` after one
warm-up) and measures Y-PSNR / SSIM on Set5 and Set14 at the preset's
scale, x4 for any-scale presets (`keras_vsr.evaluation.sr.evaluate_sr`, whole images, no tiling),
then prints the change against float32 of the same backend.
Data: `$KERAS_VSR_DATA/sr/bench/{Set5,Set14}/x{scale}` (default ../shared/data).
"""

import argparse
import json
import os
import sys
from pathlib import Path

import importlib.util

_spec = importlib.util.spec_from_file_location("benchmark", Path(__file__).resolve().parent / "benchmark.py")
benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark)
REPO, run = benchmark.REPO, benchmark.run

DATA = Path(os.environ.get("KERAS_VSR_DATA", REPO.parent / "shared" / "data"))

WORKER = r"""
import json, sys, time, warnings
from pathlib import Path
import numpy as np
warnings.simplefilter("ignore")
from keras_vsr.evaluation.sr import evaluate_sr
from keras_vsr.inference.tasks import build_task
preset, data, frames, scale = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
result = {}
for precision in ("float32", "bfloat16", "float16"):
    task = build_task(preset, "upscale", precision=precision)
    x = np.random.default_rng(0).random((1, 135, 240, 3)).astype("float32")
    task.predict_on_batch(x)
    times = []
    for _ in range(frames):
        t = time.perf_counter(); task.predict_on_batch(x); times.append(time.perf_counter() - t)
    row = {"ms": 1000 * float(np.median(times))}
    for name in ("Set5", "Set14"):
        folder = data / name / f"x{scale}"
        fn = lambda image: task.upscale(image, tile=None, scale=scale)
        mean = evaluate_sr(fn, folder, scale)["mean"]
        row[name] = [mean["psnr"], mean["ssim"]]
    result[precision] = row
print(json.dumps(result))
"""


def main():
    from keras_vsr.models import list_presets

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=None)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    parser.add_argument("--frames", type=int, default=2)
    args = parser.parse_args()
    # Every preset with Set5 figures; "any"-scale presets are measured at x4.
    scales = {
        p["name"]: p["scale"] if isinstance(p["scale"], int) else 4
        for p in list_presets()
        if any(key.startswith("Set5") for key in p.get("metrics") or {})
    }
    presets = args.presets or list(scales)
    print(f"{os.cpu_count()} CPU cores; ms per 135x240 frame (median of {args.frames}); dB and SSIM change vs float32")
    print("\n| preset | backend | precision | ms/frame | x f32 | Set5 PSNR | Set5 SSIM | Set14 PSNR | Set14 SSIM |")
    print("|---|---|---|---|---|---|---|---|---|")
    for preset in presets:
        for backend in args.backends:
            r = run(WORKER, [preset, DATA / "sr" / "bench", args.frames, scales.get(preset, 4)], backend)
            if "error" in r:
                print(f"| {preset} | {backend} | - | {r['error']} | | | | | |", flush=True)
                continue
            base = r["float32"]
            for precision, row in r.items():
                cells = [f"{row['ms']:.0f}", f"{base['ms'] / row['ms']:.2f}"]
                for name in ("Set5", "Set14"):
                    psnr, ssim = row[name]
                    if precision == "float32":
                        cells += [f"{psnr:.3f}", f"{ssim:.4f}"]
                    else:
                        cells += [f"{psnr - base[name][0]:+.3f}", f"{ssim - base[name][1]:+.4f}"]
                print(f"| {preset} | {backend} | {precision} | " + " | ".join(cells) + " |", flush=True)
    print(json.dumps({"presets": presets}), file=sys.stderr)


if __name__ == "__main__":
    main()

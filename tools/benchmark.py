"""Milliseconds per frame for 270x480 -> 1080x1920 (x4), side by side.

    python tools/benchmark.py [--preset NAME] [--frames 5] [--backends tensorflow torch jax]
                              [--large [--large-size 4000x3000] [--untiled-max-pixels 1000000]]

Each backend runs in its own process (a Keras backend is fixed per process);
each process warms up on one frame (compilation), then times `--frames`
frames through `SuperResolver.predict_on_batch`. torch's bicubic
interpolation is the floor. Figures are wall-clock on this machine's CPU.

`--large` adds a memory table: one `SuperResolver.upscale` call per process
on a random uint8 image, tiled (256-pixel tiles, 24 pixels of overlap) and
untiled, first at 1000x750 so both paths can be compared, then at
`--large-size` (HxW, default 4000x3000 -> 16000x12000 at x4), in float32
and in bfloat16. It reports the
call's wall-clock seconds (tracing and compilation included) and the
process's peak RSS (`ru_maxrss`), beside the RSS before the call (model and
input loaded). The untiled path is skipped above `--untiled-max-pixels` LR
pixels; it then prints an estimate of the memory it would need: two live
copies (a layer's input and output) of the backbone's largest feature map, a
lower bound. The estimate is printed for the untiled runs too, for
comparison with what they measured.

`--peers` compares engines on the same network in one run (`--peer-size`,
default 270x480 -> x4): Keras on each installed backend in float32 and
bfloat16 (`precision=`), the native PyTorch twin of the backbone
(`tools/torch_twins.py`, weights copied) in NCHW and channels_last, and
ONNX Runtime on the backbone exported by `keras_vsr.inference.export`
(TensorFlow backend). Each engine runs in its own process with the same
threads; every output is compared with Keras float32 on TensorFlow (max
abs difference), and times are given as ratios to the fastest. With
`--large`, the memory table also runs in bfloat16:

    python tools/benchmark.py --peers [--preset NAME] [--frames 5] [--peer-size 270x480] [--large]

`--parity` gives the two ratios of the speed issue from paired runs, so
they hold on a loaded machine: Keras on the torch backend against the
native PyTorch twin in channels_last, called in turn frame by frame in one
process (same threads; median of the per-frame ratios), and Keras on JAX
against Keras on TensorFlow, `--rounds` process pairs (median of the
per-round ratios):

    python tools/benchmark.py --parity [--preset NAME] [--frames 5] [--peer-size 270x480] [--rounds 5]

`--yardstick` prints the measure of the original 720p -> 1080p project
instead: per backend and per model, the wall time to convert `--frames`
frames (default 30) from 720x1280 to 1080x1920 through
`SuperResolver.upscale` (uint8 in, uint8 out, one frame at a time, after
one warm-up frame that is not counted), the parameter count, and Y-PSNR
on held-out video frames at the same factor 1.5:

    python tools/benchmark.py --yardstick [--frames 30] [--backends ...]
        [--unet-preset NAME] [--depth2space-preset NAME] [--psnr-every 4]

Models: the U-Net SR preset (`upscale(frame, size=(1080, 1920))`, whole
frame); the Depth2Space preset's weights in the 720p -> 1080p configuration
of its geometry (possible when its kernels do not depend on the frame size,
as for the bundled aligned stride-4 / block-6 preset; its PSNR is measured
with the preset at its own 240x320 -> 360x480 size); the original
Depth2Space 720p -> 1080p configuration (stride 5, block 8, kernels 4x4 and
7x14; timed with untrained weights, no PSNR: no 1080p training frames
exist here); and MATLAB bicubic (`bicubic_resize`, NumPy) as the floor. The input frames are the held-out frames of
the Depth2Space recipe (`keras_vsr.training.recipes.depth2space.HELD_OUT`:
Megamind.avi and vtest.avi in `$KERAS_VSR_DATA/video/clips`, default
`../shared/data/video/clips`) resized to 720p;
the PSNR column uses their centre 360x480 crops as HR and the MATLAB-bicubic
240x320 downscale as input (every `--psnr-every`-th frame), Y channel, 2
pixels of border cropped.
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The held-out frames of the Depth2Space recipe come from these clips.
CLIPS = Path(os.environ.get("KERAS_VSR_DATA", REPO.parent / "shared" / "data")) / "video" / "clips"

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

LARGE_WORKER = r"""
import json, resource, sys, time
import numpy as np
import keras
from keras_vsr.inference.tasks import build_task
preset, mode = sys.argv[1:3]
height, width, tile, overlap, max_pixels = map(int, sys.argv[3:8])
precision = sys.argv[8]

def peak_rss_gb():
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 1e9

task = build_task(preset, "upscale", precision=precision)
backbone = task.backbone
layers = [layer for layer in backbone.layers if not isinstance(layer, keras.layers.InputLayer)]
specs = keras.Model(backbone.inputs, [layer.output for layer in layers]).compute_output_spec(
    keras.KerasTensor((1, 8, 8, 3))
)
largest_per_pixel = max(int(np.prod(spec.shape[1:])) for spec in specs) / (8 * 8)
itemsize = np.dtype(backbone.compute_dtype).itemsize
estimate_gb = 2 * largest_per_pixel * itemsize * height * width / 1e9
if mode == "untiled" and height * width > max_pixels:
    print(json.dumps({"skipped": estimate_gb}))
    sys.exit()
image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
before = peak_rss_gb()
t = time.perf_counter()
y = task.upscale(image, tile=tile if mode == "tiled" else None, tile_overlap=overlap)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_gb": peak_rss_gb(), "before_gb": before, "estimate_gb": estimate_gb, "shape": list(y.shape)}))
"""

PEER_WORKER = r"""
import json, os, sys, tempfile, time, warnings
import numpy as np
warnings.simplefilter("ignore")
preset, engine, frames, height, width, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
x = np.random.default_rng(0).random((1, height, width, 3)).astype("float32")
if engine.startswith("keras"):
    from keras_vsr.inference.tasks import build_task
    task = build_task(preset, "upscale", precision=engine.split(":")[1])
    call = lambda: task.predict_on_batch(x)
elif engine.startswith("torch"):
    import torch
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "torch_twins", os.path.join(os.environ["PYTHONPATH"], "tools", "torch_twins.py"))
    twins = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twins)
    torch_twin = twins.torch_twin
    from keras_vsr.models import SRBackbone
    twin = torch_twin(SRBackbone.from_preset(preset))
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    if engine == "torch:channels_last":
        twin, xt = twin.to(memory_format=torch.channels_last), xt.contiguous(memory_format=torch.channels_last)
    def call():
        with torch.inference_mode():
            return twin(xt).permute(0, 2, 3, 1).numpy()
else:
    from keras_vsr.inference.export import export_preset, run_exported
    import onnxruntime
    path = export_preset(preset, os.path.join(tempfile.mkdtemp(), "m.onnx"), "onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    call = lambda: session.run(None, {name: x})[0]
y = call()
times = []
for _ in range(frames):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
np.save(out, np.asarray(y, dtype="float32"))
print(json.dumps({"ms": 1000 * float(np.median(times))}))
"""

PARITY_WORKER = r"""
import json, os, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import torch
import importlib.util
preset, frames, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
spec = importlib.util.spec_from_file_location(
    "torch_twins", os.path.join(os.environ["PYTHONPATH"], "tools", "torch_twins.py"))
twins = importlib.util.module_from_spec(spec)
spec.loader.exec_module(twins)
from keras_vsr.inference.tasks import build_task
task = build_task(preset, "upscale")
twin = twins.torch_twin(task.backbone).to(memory_format=torch.channels_last)
x = np.random.default_rng(0).random((1, height, width, 3)).astype("float32")
xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
def native():
    with torch.inference_mode():
        return twin(xt).permute(0, 2, 3, 1).numpy()
keras_call = lambda: np.asarray(task.predict_on_batch(x))
difference = float(np.max(np.abs(keras_call() - native())))
times = {"keras": [], "native": []}
for i in range(frames):
    # Alternate which goes first, so neither always follows the other.
    for name in (("keras", "native") if i % 2 == 0 else ("native", "keras")):
        t = time.perf_counter(); (keras_call if name == "keras" else native)(); times[name].append(time.perf_counter() - t)
ratios = [k / n for k, n in zip(times["keras"], times["native"])]
print(json.dumps({"keras_ms": 1000 * float(np.median(times["keras"])), "native_ms": 1000 * float(np.median(times["native"])),
                  "ratio": float(np.median(ratios)), "max_diff": difference, "threads": torch.get_num_threads()}))
"""


CONV_FLOOR_WORKER = r"""
import functools, json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import keras
from keras import ops
from keras_vsr.models import SRBackbone
preset, frames, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
backbone = SRBackbone.from_preset(preset)
calls, original = [], keras.layers.Conv2D.convolution_op
def recording(self, inputs, kernel):
    options = {"strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate}
    calls.append((tuple(inputs.shape), tuple(kernel.shape), options))
    return original(self, inputs, kernel)
keras.layers.Conv2D.convolution_op = recording
backbone(np.zeros((1, height, width, 3), "float32"))
keras.layers.Conv2D.convolution_op = original
if keras.backend.backend() == "jax":
    import jax
    compile = jax.jit
    sync = lambda y: y.block_until_ready()
else:
    import tensorflow as tf
    compile = tf.function
    sync = lambda y: y.shape
rng = np.random.default_rng(0)
total = []
for input_shape, kernel_shape, options in calls:
    conv = compile(functools.partial(ops.conv, **options))
    x = ops.convert_to_tensor(rng.random(input_shape, dtype=np.float32))
    k = ops.convert_to_tensor(rng.standard_normal(kernel_shape).astype("float32"))
    sync(conv(x, k))
    times = []
    for _ in range(frames):
        t = time.perf_counter(); sync(conv(x, k)); times.append(time.perf_counter() - t)
    total.append(float(np.median(times)))
print(json.dumps({"ms": 1000 * sum(total), "convs": len(calls)}))
"""


def parity_table(preset, frames, size, rounds):
    """Print the issue's two parity ratios for `preset`, each from paired runs.

    Keras on the torch backend against the native PyTorch twin in
    channels_last: one process, the two called in turn frame by frame (same
    threads), the median of the per-frame ratios. JAX against TensorFlow
    (two backends cannot share a process): `rounds` rounds of one process
    each, TensorFlow then JAX, `frames` frames each; the median of the
    per-round ratios. Pairing keeps a ratio meaningful while the machine's
    load drifts. Last, the floor under the JAX ratio: the input and kernel
    shape (and strides, padding, dilation) of every `Conv2D` call in one
    forward pass is recorded, each runs as one compiled `keras.ops.conv` (`jax.jit` / `tf.function`, so the
    backend's own convolution and nothing of Keras around it) on random
    data, and the medians are summed per backend."""
    import tempfile

    import numpy as np

    height, width = size
    print(f"{preset}, {height}x{width} input, float32, {os.cpu_count()} CPU cores")
    r = run(PARITY_WORKER, [preset, frames, height, width], "torch")
    if "error" in r:
        print(f"torch parity: {r['error']}")
    else:
        print(
            f"Keras (torch backend) {r['keras_ms']:.0f} ms vs native PyTorch channels_last {r['native_ms']:.0f} ms "
            f"per frame ({r['threads']} threads, {frames} frames each, interleaved): ratio {r['ratio']:.2f} "
            f"(median of per-frame ratios); outputs differ by at most {r['max_diff']:.1e}"
        )
    ratios, ms = [], {"tensorflow": [], "jax": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            pair = {
                backend: run(PEER_WORKER, [preset, "keras:float32", frames, height, width, Path(tmp) / backend], backend)
                for backend in ("tensorflow", "jax")
            }
        if any("error" in v for v in pair.values()):
            print(f"JAX vs TensorFlow: {pair}")
            return
        for backend, v in pair.items():
            ms[backend].append(v["ms"])
        ratios.append(pair["jax"]["ms"] / pair["tensorflow"]["ms"])
    print(
        f"Keras on JAX {np.median(ms['jax']):.0f} ms vs Keras on TensorFlow {np.median(ms['tensorflow']):.0f} ms per "
        f"frame ({rounds} rounds of {frames} frames, TensorFlow then JAX): ratio {np.median(ratios):.2f} (median of "
        f"per-round ratios; each round: {', '.join(f'{x:.2f}' for x in ratios)})"
    )
    floor = {backend: run(CONV_FLOOR_WORKER, [preset, frames, height, width], backend) for backend in ("tensorflow", "jax")}
    if any("error" in v for v in floor.values()):
        print(f"convolutions alone: {floor}")
        return
    print(
        f"Its {floor['jax']['convs']} convolutions alone, each one compiled framework op on the same shapes "
        f"(jax.lax.conv_general_dilated vs tf.nn.convolution, median of {frames}, summed): JAX "
        f"{floor['jax']['ms']:.0f} ms vs TensorFlow {floor['tensorflow']['ms']:.0f} ms, ratio "
        f"{floor['jax']['ms'] / floor['tensorflow']['ms']:.2f}"
    )


PEER_ENGINES = [
    ("keras:float32", "tensorflow"), ("keras:bfloat16", "tensorflow"),
    ("keras:float32", "torch"), ("keras:bfloat16", "torch"),
    ("keras:float32", "jax"), ("keras:bfloat16", "jax"),
    ("torch:nchw", "torch"), ("torch:channels_last", "torch"),
    ("onnxruntime", "tensorflow"),
]
PEER_NAMES = {
    "torch:nchw": "native PyTorch twin, NCHW", "torch:channels_last": "native PyTorch twin, channels_last",
    "onnxruntime": "ONNX Runtime (exported on TensorFlow)",
}


def peers_table(preset, frames, size):
    """Print ms/frame of every engine in `PEER_ENGINES` on `preset`, the
    ratio to the fastest and the largest difference from Keras float32 on
    TensorFlow (the first engine)."""
    import tempfile

    import numpy as np

    height, width = size
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        reference = None
        for i, (engine, backend) in enumerate(PEER_ENGINES):
            module = "onnxruntime" if engine == "onnxruntime" else backend
            name = PEER_NAMES[engine] if engine in PEER_NAMES else f"Keras {engine.split(':')[1]} [{backend}]"
            if importlib.util.find_spec(module) is None:
                rows.append((name, {"error": f"{module} not installed"}))
                continue
            out = Path(folder) / f"{i}.npy"
            r = run(PEER_WORKER, [preset, engine, frames, height, width, out], backend)
            if "error" not in r:
                y = np.load(out)
                reference = y if reference is None else reference
                r["diff"] = float(np.abs(y - reference).max())
            rows.append((name, r))
    fastest = min((r["ms"] for _, r in rows if "ms" in r), default=None)
    print(f"\n{preset}: {height}x{width} -> x4, median of {frames} after one warm-up, {os.cpu_count()} CPU cores")
    print(f"{'engine':<48}{'ms/frame':>10}{'x fastest':>11}{'max |diff|':>12}")
    for name, r in rows:
        if "error" in r:
            print(f"{name:<48}  {r['error']}")
        else:
            print(f"{name:<48}{r['ms']:>10.0f}{r['ms'] / fastest:>11.2f}{r['diff']:>12.1e}")


LARGE_TILE, LARGE_OVERLAP = 256, 24
COMPARE_SIZE = (1000, 750)

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

YARDSTICK_WORKER = r"""
import json, sys, time
from pathlib import Path
import numpy as np
from keras_vsr.evaluation.sr import evaluate_frames
from keras_vsr.training.recipes.depth2space import held_out_frames
from keras_vsr.models import Depth2SpaceBackbone, SuperResolver
from keras_vsr.utils.imresize import bicubic_resize
from keras_vsr.utils.images import from_float, to_float
model, preset, frames, every = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
held = held_out_frames(Path(sys.argv[1]))
inputs = [from_float(bicubic_resize(to_float(f), (720, 1280)), np.uint8) for f in held]
if model == "bicubic":
    convert = lambda x: from_float(bicubic_resize(to_float(x), (1080, 1920)), np.uint8)
    small = lambda x: from_float(bicubic_resize(to_float(x), (360, 480)), np.uint8)
    params = 0
elif model == "depth2space_720p":
    task = SuperResolver(Depth2SpaceBackbone(), compile=False)
    convert, small, params = task.upscale, None, task.count_params()
elif model == "depth2space_preset":
    task = SuperResolver.from_preset(preset, compile=False)
    config = {k: v for k, v in task.backbone.get_config().items() if k not in ("name", "trainable")}
    config.update(input_size=(720, 1280), target_size=(1080, 1920))
    big = Depth2SpaceBackbone(**config)  # raises if the preset's geometry cannot reach 720p -> 1080p
    big.set_weights(task.backbone.get_weights())  # raises unless the kernels do not depend on the size
    convert, small, params = SuperResolver(big, compile=False).upscale, task.upscale, big.count_params()
else:
    task = SuperResolver.from_preset(preset, compile=False)
    convert = lambda x: task.upscale(x, size=(1080, 1920), tile=None)
    small = lambda x: task.upscale(x, size=(360, 480), tile=None)
    params = task.count_params()
result = {"params": params, "frames": frames}
if convert is not None and frames:
    y = convert(inputs[0])
    assert y.shape == (1080, 1920, 3), y.shape
    start = time.perf_counter()
    for i in range(frames):
        convert(inputs[(i + 1) % len(inputs)])
    result["seconds"] = time.perf_counter() - start
if small is not None:
    ev = evaluate_frames(small, held[::every], (240, 320), (360, 480))
    result.update(psnr=ev["mean"]["psnr"], bicubic_psnr=ev["mean"]["bicubic_psnr"], psnr_frames=len(ev["rows"]))
print(json.dumps(result))
"""


def yardstick_table(backends, frames, unet_preset, d2s_preset, psnr_every):
    """Print the 720p -> 1080p yardstick: seconds for `frames` frames, params, held-out PSNR."""
    models = [("bicubic", None, [None])]
    for backend in backends:
        models.append(("unet", unet_preset, [backend]))
        models.append(("depth2space_720p", None, [backend]))
        models.append(("depth2space_preset", d2s_preset, [backend]))
    rows = []
    for model, preset, (backend,) in models:
        args = [CLIPS, model, preset or "-", frames, psnr_every]
        rows.append((model, preset, backend, run(YARDSTICK_WORKER, args, backend or "tensorflow")))
    print(
        f"\nYardstick: {frames} frames 720x1280 -> 1080x1920 through SuperResolver.upscale (uint8, one frame "
        f"at a time, after 1 warm-up frame), {os.cpu_count()} CPU cores; PSNR: held-out frames x1.5 "
        "(360x480 HR centre crops, Y, border 2)"
    )
    print(f"{'model [backend]':<58}{'params':>11}{f's/{frames} frames':>14}{'ms/frame':>10}{'PSNR':>8}{'bic PSNR':>10}")
    names = {
        "bicubic": "bicubic floor (MATLAB, NumPy) [numpy]",
        "unet": "{preset} [{backend}]",
        "depth2space_720p": "Depth2Space 720p->1080p, untrained [{backend}]",
        "depth2space_preset": "{preset} weights at 720p [{backend}]",
    }
    for model, preset, backend, r in rows:
        label = names[model].format(preset=preset, backend=backend)
        if "error" in r:
            print(f"{label:<58}  {r['error']}")
            continue
        seconds = f"{r['seconds']:.1f}" if "seconds" in r else "-"
        ms = f"{1000 * r['seconds'] / r['frames']:.0f}" if "seconds" in r else "-"
        value = f"{r['psnr']:.2f}" if "psnr" in r else "-"
        bic = f"{r['bicubic_psnr']:.2f}" if "bicubic_psnr" in r else "-"
        print(f"{label:<58}{r['params']:>11,}{seconds:>14}{ms:>10}{value:>8}{bic:>10}")
    counts = sorted({r["psnr_frames"] for *_, r in rows if "psnr_frames" in r})
    if counts:
        print(f"PSNR on {'/'.join(map(str, counts))} held-out frames (Megamind.avi [226, 270), vtest.avi [710, 795))")


def run(code, args, backend=None):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if backend:
        env["KERAS_BACKEND"] = backend
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        killed = " (killed by a signal; out of memory?)" if result.returncode < 0 else ""
        return {"error": lines[-1] if lines else f"exit code {result.returncode}{killed}"}
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_size(text):
    """`"HxW"` -> `(h, w)`, for argparse."""
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match or 0 in (int(match[1]), int(match[2])):
        raise argparse.ArgumentTypeError(f"expected HxW with positive integers, e.g. 4000x3000. Received: {text!r}")
    return int(match[1]), int(match[2])


def large_table(preset, backends, large_size, untiled_max_pixels, precisions=("float32",)):
    """Print seconds and peak RSS of tiled and untiled `upscale` per backend.

    Args:
        preset: str, preset name or folder.
        backends: list of str, Keras backends to run, each in its own process.
        large_size: tuple `(h, w)`, the large LR input.
        untiled_max_pixels: int, the untiled path is skipped above this
            many LR pixels.
        precisions: the `precision=` values to run each case in.
    """
    print(
        f"\nLarge images: one SuperResolver.upscale call per process; tiled = tile {LARGE_TILE}, "
        f"overlap {LARGE_OVERLAP}; untiled skipped above {untiled_max_pixels:,} LR pixels"
    )
    print(f"{'input -> output [backend]':<40}{'path':>9}{'seconds':>10}{'peak GB':>9}{'before GB':>11}{'est. GB':>9}")
    for backend, precision in ((b, p) for b in backends for p in precisions):
        for height, width in dict.fromkeys([COMPARE_SIZE, large_size]):
            for mode in ("tiled", "untiled"):
                args = [preset, mode, height, width, LARGE_TILE, LARGE_OVERLAP, untiled_max_pixels, precision]
                r = run(LARGE_WORKER, args, backend)
                output = f" -> {r['shape'][0]}x{r['shape'][1]}" if "shape" in r else ""
                tag = backend if precision == "float32" else f"{backend}, {precision}"
                label = f"{height}x{width}{output} [{tag}]"
                if "error" in r:
                    print(f"{label:<40}{mode:>9}  {r['error']}")
                elif "skipped" in r:
                    print(f"{label:<40}{mode:>9}  skipped: would need ~{r['skipped']:.1f} GB (lower bound)")
                else:
                    estimate = f"{r['estimate_gb']:.2f}" if mode == "untiled" else "-"
                    print(
                        f"{label:<40}{mode:>9}{r['seconds']:>10.1f}{r['peak_gb']:>9.2f}"
                        f"{r['before_gb']:>11.2f}{estimate:>9}"
                    )


def main(argv=None):
    from keras_vsr.inference import DEFAULT_PRESET

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default=DEFAULT_PRESET)
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    parser.add_argument("--large", action="store_true", help="also measure time and peak RSS on large images")
    parser.add_argument(
        "--large-size", type=parse_size, default=(4000, 3000), help="HxW of the large input (default 4000x3000)"
    )
    parser.add_argument(
        "--untiled-max-pixels",
        type=int,
        default=1_000_000,
        help="skip the untiled path above this many LR pixels (default 1000000)",
    )
    parser.add_argument("--yardstick", action="store_true", help="the 720p -> 1080p table (see above)")
    parser.add_argument("--peers", action="store_true", help="Keras per backend and precision vs native engines")
    parser.add_argument("--peer-size", type=parse_size, default=(270, 480), help="HxW of the --peers input")
    parser.add_argument(
        "--parity", action="store_true",
        help="paired ratios: Keras-torch vs native channels_last, JAX vs TensorFlow (--peer-size, --rounds)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="--parity: JAX/TensorFlow process pairs")
    parser.add_argument("--unet-preset", default="unet_sr_f32_frames291photos_any")
    parser.add_argument("--depth2space-preset", default="depth2space_s4b6_240x320_360x480_frames")
    parser.add_argument("--psnr-every", type=int, default=4, help="held-out frames step for the PSNR column")
    args = parser.parse_args(argv)
    module = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}
    if args.yardstick:
        installed = [b for b in args.backends if importlib.util.find_spec(module[b]) is not None]
        frames = 30 if "--frames" not in (argv if argv is not None else sys.argv) else args.frames
        yardstick_table(installed, frames, args.unet_preset, args.depth2space_preset, args.psnr_every)
        return
    if args.parity:
        parity_table(args.preset, args.frames, args.peer_size, args.rounds)
        return
    if args.peers:
        peers_table(args.preset, args.frames, args.peer_size)
        if args.large:
            installed = [b for b in args.backends if importlib.util.find_spec(module[b]) is not None]
            large_table(args.preset, installed, args.large_size, args.untiled_max_pixels, ("float32", "bfloat16"))
        return

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

    if args.large:
        installed = [b for b in args.backends if importlib.util.find_spec(module[b]) is not None]
        large_table(args.preset, installed, args.large_size, args.untiled_max_pixels, ("float32", "bfloat16"))


if __name__ == "__main__":
    main()

"""Seam error of tiled upscaling against whole-image inference, per model.

    nice -n 10 python tools/seam_error.py [--crop 64x200] [--tile 64] [--models NAME ...]

For every super-resolution model it upscales one crop of a real photograph
(`keras_vsr/assets/sample_cat.png`, or `--image`) whole and tile by tile
(`SuperResolver.upscale(tile=--tile, tile_overlap=N)`) for each overlap in
`--overlaps` and for the model's default (`keras_vsr.utils.tiling.
default_overlap`), and prints the largest and the mean absolute difference
of the uint8 results, in grey levels, with the model's receptive radius.

The models:

- `preset:<name>`: every bundled preset that upscales (the fixed-geometry
  Depth2Space presets are never tiled and are left out);
- `fixture:<case>`: the small converted reference models of
  `tests/fixtures/reference/` (random spandrel initialisations);
- `random:<name>`: full-size configurations (RRDBNet x4plus, Compact
  general-x4v3, SPAN x4, SwinIR lightweight x4) with PyTorch's default
  initialisation, as the reference fixtures have (`torch_default_init`;
  Keras' own would make Compact's residual vanish and RRDBNet's output
  saturate). No trained converted weights are available offline, so their
  seams show how far random weights of that depth reach, which may differ
  from trained weights.

With the default crop of 64 rows and tile 64, all tiles of a crop lie in one
row: the seams measured are the vertical ones between tiles, with the
overlap's context on both sides up to overlap 64 (windows of 192 < 200
columns). `--models` keeps models whose label contains any of the words.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "fixtures" / "reference"
OVERLAPS = (0, 8, 16, 24, 32, 48, 64)
FIXTURES = (
    "compact_x4",
    "rrdbnet_x1",
    "rrdbnet_x2",
    "rrdbnet_x4",
    "span_x4",
    "swinir_classical_x4",
    "swinir_lightweight_x4",
    "swinir_realworld_x4",
)


def random_backbones():
    """Full-size configurations of the named converted models, `{label: builder}`."""
    from keras_vsr import models

    return {
        "random:rrdbnet_realesrgan_x4plus": lambda: models.RRDBNetBackbone(scale=4, num_blocks=23),
        "random:compact_realesr_general_x4v3": lambda: models.CompactSRBackbone(scale=4, num_conv=32),
        "random:span_x4_ch48": lambda: models.SPANBackbone(scale=4, filters=48),
        "random:swinir_lightweight_x4": lambda: models.SwinIRBackbone(
            scale=4, embed_dim=60, depths=(6,) * 4, num_heads=(6,) * 4, upsampler="pixelshuffledirect"
        ),
    }


def torch_default_init(model, seed=0):
    """Re-initialise `model` as PyTorch initialises `nn.Conv2d` and
    `nn.Linear` (kernel and bias uniform in +-1 / sqrt(fan_in)) and
    `nn.PReLU` (0.25); other weights (norms, attention tables) keep Keras'
    initialisation. Layers are told apart by their weights' paths."""
    rng = np.random.default_rng(seed)
    fan_in = {}
    for weight in model.weights:
        layer, _, name = weight.path.rpartition("/")
        if name == "kernel":
            fan_in[layer] = int(np.prod(weight.shape[:-1]))
    for weight in model.weights:
        layer, _, name = weight.path.rpartition("/")
        if name in ("kernel", "bias") and layer in fan_in:
            bound = 1 / np.sqrt(fan_in[layer])
            weight.assign(rng.uniform(-bound, bound, weight.shape).astype("float32"))
        elif name == "alpha":
            weight.assign(np.full(weight.shape, 0.25, "float32"))


def model_builders(workdir):
    """`{label: () -> SuperResolver}` for every model measured (a preset
    that does not upscale raises `ValueError` when built)."""
    import keras

    from keras_vsr.inference.tasks import build_task
    from keras_vsr.models import SuperResolver, list_presets
    from keras_vsr.models.conversion import convert

    builders = {f"preset:{p['name']}": lambda name=p["name"]: build_task(name) for p in list_presets()}
    for case in FIXTURES:
        builders[f"fixture:{case}"] = lambda case=case: build_task(
            str(convert(REFERENCE / f"{case}.safetensors", Path(workdir) / case))
        )
    for label, make in random_backbones().items():

        def build(make=make):
            keras.utils.set_random_seed(0)
            backbone = make()
            torch_default_init(backbone)
            return SuperResolver(backbone, compile=False)

        builders[label] = build
    return builders


def measure(task, image, tile, overlaps):
    """`{overlap: (max, mean)}` grey-level differences of tiled against whole."""
    whole = task.upscale(image, tile=None).astype(np.int64)
    result = {}
    for overlap in overlaps:
        tiled = task.upscale(image, tile=tile, tile_overlap=overlap).astype(np.int64)
        diff = np.abs(tiled - whole)
        result[overlap] = (int(diff.max()), float(diff.mean()))
    return result, float(whole.std())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default=str(REPO / "keras_vsr" / "assets" / "sample_cat.png"))
    parser.add_argument("--crop", default="64x200", help="HEIGHTxWIDTH of the crop at the image's centre")
    parser.add_argument("--tile", type=int, default=64)
    parser.add_argument("--overlaps", default=",".join(map(str, OVERLAPS)))
    parser.add_argument("--models", nargs="*", default=None, help="keep models whose label contains a word")
    args = parser.parse_args(argv)

    from keras_vsr.io import load_image
    from keras_vsr.utils.tiling import default_overlap

    height, width = (int(v) for v in args.crop.lower().split("x"))
    photo = load_image(args.image, mode="RGB")
    top, left = (photo.shape[0] - height) // 2, (photo.shape[1] - width) // 2
    image = photo[top : top + height, left : left + width]
    overlaps = [int(v) for v in args.overlaps.split(",")]

    print(f"{Path(args.image).name}, crop {height}x{width} at ({top}, {left}), tile {args.tile}; "
          "max / mean absolute difference, uint8 grey levels")
    header = ["model", "radius", "default", *[f"overlap {o}" for o in overlaps], "default overlap", "output std", "s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory() as workdir:
        for label, build in model_builders(workdir).items():
            if args.models and not any(word in label for word in args.models):
                continue
            start = time.perf_counter()
            try:
                task = build()
            except ValueError:  # a preset that interpolates or colourises
                continue
            backbone = task.backbone
            if getattr(backbone, "input_size", None) is not None:  # fixed geometry: never tiled
                continue
            default = default_overlap(backbone)
            errors, std = measure(task, image, args.tile, [*overlaps, default])
            cells = [f"{errors[o][0]} / {errors[o][1]:.3f}" for o in [*overlaps, default]]
            radius = getattr(backbone, "receptive_radius", None)
            seconds = time.perf_counter() - start
            print(f"| {label} | {radius:g} | {default} | " + " | ".join(cells) + f" | {std:.1f} | {seconds:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()

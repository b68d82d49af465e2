"""ESRGAN presets bundled with keras_vsr: `SRResNetBackbone` generators with their U-Net discriminators."""

backbone_presets = {
    "esrgan_b8f48_realworld_x4": {
        "description": (
            "Real-world ESRGAN x4: srresnet_b8f48_realworld_x4 (its five-stage release) fine-tuned against a U-Net discriminator "
            "(ESRGAN's weights: 0.01 L1 + VGG16 perceptual + 0.005 RaGAN) on JPEG / GIF / noise damage, EMA weights; "
            "sharper texture and lower LPIPS than its start, lower PSNR. Blend the two with --blend."
        ),
    },
}

"""ESRGAN presets bundled with keras_vsr: `SRResNetBackbone` generators with their U-Net discriminators."""

backbone_presets = {
    "esrgan_b8f48_realworld_x4": {
        "description": (
            "Real-world ESRGAN x4: srresnet_b8f48_realworld_x4 (as of its third stage) fine-tuned against a U-Net "
            "discriminator (L1 + VGG16 perceptual + RaGAN) on JPEG / GIF / noise damage, EMA weights; "
            "sharper texture and lower LPIPS than its start, lower PSNR. Blend the two with --blend."
        ),
    },
}

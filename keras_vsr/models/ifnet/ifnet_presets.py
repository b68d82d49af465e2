"""IFNet (RIFE) presets bundled with keras_vsr: none; RIFE's weights are
converted from their checkpoints (`keras-vsr convert flownet.pkl DST`)."""

backbone_presets = {}

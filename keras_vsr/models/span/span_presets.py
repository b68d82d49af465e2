"""SPAN presets bundled with keras_vsr (none yet: convert SPAN checkpoints
with `keras-vsr convert`)."""

backbone_presets = {}

"""RRDBNet presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {}

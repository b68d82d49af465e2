from keras_vsr.inference.upscale import DEFAULT_PRESET, load_super_resolver, upscale

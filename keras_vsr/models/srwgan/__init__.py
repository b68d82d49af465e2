from keras_vsr.models.srwgan.srwgan import SRWGAN
from keras_vsr.models.srwgan.srwgan_critic import SRWGANCritic
from keras_vsr.models.srwgan import srwgan_presets  # noqa: F401, E402  (registers bundled presets)

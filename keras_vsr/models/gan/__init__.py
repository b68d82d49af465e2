from keras_vsr.models.gan.gan_optimizer import GANOptimizer
from keras_vsr.models.gan.gan_super_resolver import GANSuperResolver

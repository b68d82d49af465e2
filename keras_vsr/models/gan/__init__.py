from keras_vsr.models.gan.gan_optimizer import GANOptimizer
from keras_vsr.models.gan.gan_super_resolver import GANSuperResolver
from keras_vsr.models.gan.gan_discriminator import GANDiscriminator

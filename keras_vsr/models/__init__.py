from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.models.depth2space import Depth2SpaceBackbone
from keras_vsr.models.unet_sr import UNetSRBackbone
from keras_vsr.models.super_resolver import SuperResolver
from keras_vsr.models.ffc_interpolator import FFCInterpolator, FFCInterpolatorBackbone

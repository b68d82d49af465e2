from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.models.super_resolver import SuperResolver

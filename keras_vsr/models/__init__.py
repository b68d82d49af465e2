from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.models.depth2space import Depth2SpaceBackbone
from keras_vsr.models.unet_sr import UNetSRBackbone
from keras_vsr.models.compact_sr import CompactSRBackbone
from keras_vsr.models.rrdbnet import RRDBNetBackbone
from keras_vsr.models.span import SPANBackbone
from keras_vsr.models.swinir import SwinIRBackbone
from keras_vsr.models.super_resolver import SuperResolver
from keras_vsr.models.gan import GANOptimizer, GANSuperResolver
from keras_vsr.models.srgan import SRGAN, SRGANDiscriminator
from keras_vsr.models.srwgan import SRWGAN, SRWGANCritic
from keras_vsr.models.esrgan import ESRGAN, UNetDiscriminator
from keras_vsr.models.conv_lstm_interpolator import ConvLSTMInterpolator, ConvLSTMInterpolatorBackbone
from keras_vsr.models.grey2rgb import Grey2RGBBackbone, Grey2RGBColorizer
from keras_vsr.models.chroma_fusion import ChromaFusion, ChromaFusionBackbone, fusion_features
from keras_vsr.models.frame_interpolator import FrameInterpolator
from keras_vsr.models.ffc_interpolator import FFCInterpolator, FFCInterpolatorBackbone
from keras_vsr.models.ifnet import IFNetBackbone, IFNetInterpolator
from keras_vsr.presets.registry import list_presets  # complete here: every family above has registered its presets

from keras_vsr.layers.bicubic_resize import BicubicUpsample
from keras_vsr.layers.conv_lstm import ConvLSTM, ConvLSTMCell
from keras_vsr.layers.fourier_unit import FFCBlock, FourierUnit, SpectralTransform
from keras_vsr.layers.optical_flow import LucasKanadeFlow, MidpointAlignment, backward_warp
from keras_vsr.layers.pixel_shuffle import PixelShuffle, PixelShuffleNearestResidual, SubPixelUpsample, depth_to_space
from keras_vsr.layers.pixel_unshuffle import PixelUnshuffle, space_to_depth
from keras_vsr.layers.residual_block import ResidualBlock
from keras_vsr.layers.vgg_features import VGGFeatureExtractor
from keras_vsr.layers.spectral_norm import SpectralConv2D

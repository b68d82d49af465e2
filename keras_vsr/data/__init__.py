from keras_vsr.data.degradations import (
    Compose,
    GaussianNoise,
    GIFPalette,
    JPEGCompression,
    PoissonNoise,
    RandomBlur,
    RandomResize,
    RealESRGANDegradation,
    SincFilter,
    degradation_from_config,
    degradation_to_config,
    parse_degradation,
)
from keras_vsr.data.patch_dataset import PairedPatchDataset
from keras_vsr.data.interpolation import TripletDataset
from keras_vsr.data.synthetic_motion import SyntheticTripletDataset
from keras_vsr.data.sequences import (
    ColorizationDataset,
    FrameSequenceDataset,
    make_colorization_datasets,
    make_sequence_datasets,
)
from keras_vsr.data.sources import load_sequences
from keras_vsr.data.video_frames import VideoFrameDataset, read_video_frames

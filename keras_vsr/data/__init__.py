from keras_vsr.data.io import IMAGE_EXTENSIONS, find_images, read_image
from keras_vsr.data.patch_dataset import PairedPatchDataset
from keras_vsr.data.interpolation import TripletDataset
from keras_vsr.data.sequences import (
    ColorizationDataset,
    FrameSequenceDataset,
    load_sequences,
    make_colorization_datasets,
    make_sequence_datasets,
)
from keras_vsr.data.video_frames import VideoFrameDataset, read_video_frames

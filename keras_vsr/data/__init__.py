from keras_vsr.data.io import IMAGE_EXTENSIONS, find_images, read_image
from keras_vsr.data.patch_dataset import PairedPatchDataset

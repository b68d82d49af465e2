from keras_vsr.io.images import (
    MAX_PIXELS,
    ImageReadError,
    load_image,
    save_image_atomic,
)

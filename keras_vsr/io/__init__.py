from keras_vsr.io.images import (
    IMAGE_EXTENSIONS,
    MAX_PIXELS,
    ImageReadError,
    find_images,
    load_image,
    save_image_atomic,
)
from keras_vsr.io.gif import (
    GifInfo,
    iter_gif_frames,
    map_gif,
    read_gif_info,
    write_gif_atomic,
)
from keras_vsr.io.video import (
    VideoInfo,
    detect_scene_cuts,
    iter_video_frames,
    map_video,
    probe_video,
)

from keras_vsr.io.images import (
    MAX_PIXELS,
    ImageReadError,
    load_image,
    save_image_atomic,
)
from keras_vsr.io.gif import (
    GifInfo,
    iter_gif_frames,
    read_gif_info,
    upscale_gif,
    write_gif_atomic,
)
from keras_vsr.io.video import (
    VideoInfo,
    detect_scene_cuts,
    iter_video_frames,
    probe_video,
    upscale_video,
)

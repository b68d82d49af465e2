"""Start the keras-vsr web app from a source checkout.

    python apps/app.py                                   # http://127.0.0.1:7860
    python apps/app.py --preset path/to/preset_folder --port 8000

The app is `keras_vsr.app`; this script only reads the command line. Choose
the Keras backend with the KERAS_BACKEND environment variable.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keras_vsr import app  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--preset", action="append", default=[], help="a preset folder to offer (repeatable)")
    parser.add_argument("--max-pixels", type=int, default=app.DEFAULT_MAX_PIXELS, help="per image or frame")
    parser.add_argument("--max-frames", type=int, default=app.DEFAULT_MAX_FRAMES, help="per GIF or video")
    parser.add_argument("--max-file-size", default=app.DEFAULT_MAX_FILE_SIZE, help='largest upload, e.g. "20mb"')
    args = parser.parse_args(argv)
    try:
        app.launch(
            args.host,
            args.port,
            presets=args.preset,
            max_pixels=args.max_pixels,
            max_frames=args.max_frames,
            max_file_size=args.max_file_size,
        )
    except ValueError as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")


if __name__ == "__main__":
    main()

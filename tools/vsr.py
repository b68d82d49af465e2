"""`keras-vsr` with this repository's data folder (`../shared/data`) as the
default data root of `train` and `evaluate` (`KERAS_VSR_DATA` and
`--data-root` override it).

    python tools/vsr.py train srresnet --scale 4 --filters 48 --blocks 8 --no-batch-norm \\
        --image-residual --run-dir runs/x4 --preset-dir keras_vsr/presets/bundled/NAME
    python tools/vsr.py evaluate sr --preset srresnet_b8f48_291photos_x4
    python tools/vsr.py evaluate interpolation --preset ffc_interpolator_vimeo
"""

import os
import sys
from pathlib import Path

from keras_vsr.cli import main

if __name__ == "__main__":
    os.environ.setdefault("KERAS_VSR_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    sys.exit(main())

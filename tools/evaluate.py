"""Y-PSNR/SSIM of a preset on benchmark HR/LR pairs, beside bicubic.

    python tools/evaluate.py --preset srresnet_b8f48_291photos_x4
    python tools/evaluate.py --preset ./my_preset --data ../shared/data/sr/bench/Set5/x4

Same as `keras-vsr evaluate`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keras_vsr.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))

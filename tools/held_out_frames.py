"""Write the held-out video frames as PNG files, for
`keras-vsr evaluate sr --data DST` (the LR images are made from them by
MATLAB bicubic at the preset's scale).

    python tools/held_out_frames.py /tmp/held_out [--clips ../shared/data/video/clips] [--every 4]

The frames are the ranges no recipe trains on
(`keras_vsr.training.recipes.depth2space.HELD_OUT`: Megamind.avi frames
226-269 and vtest.avi frames 710-794), every `--every`-th; `benchmark.py
--yardstick` measures its PSNR column on the same frames.
"""

import argparse
from pathlib import Path

from PIL import Image

from keras_vsr.training.recipes.depth2space import held_out_ranges

REPO = Path(__file__).resolve().parents[1]


def write_frames(dst, clips, every=4):
    """Write `<clip>_<index>.png` per held-out frame; returns the count per clip."""
    dst = Path(dst)
    if dst.exists():
        raise SystemExit(f"{dst} exists; choose a new folder")
    found = held_out_ranges(Path(clips))
    if not found:
        raise SystemExit(f"No held-out clip in {clips}")
    dst.mkdir(parents=True)
    counts = {}
    for clip, start, frames in found:
        for offset in range(0, len(frames), every):
            Image.fromarray(frames[offset]).save(dst / f"{Path(clip).stem}_{start + offset:04d}.png")
        counts[clip] = len(range(0, len(frames), every))
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dst", help="new folder for the PNG files")
    parser.add_argument("--clips", default=str(REPO.parent / "shared" / "data" / "video" / "clips"))
    parser.add_argument("--every", type=int, default=4, help="keep every N-th frame (default 4)")
    args = parser.parse_args(argv)
    counts = write_frames(args.dst, args.clips, args.every)
    print(", ".join(f"{clip}: {n} frames" for clip, n in counts.items()), f"written to {args.dst}")


if __name__ == "__main__":
    main()

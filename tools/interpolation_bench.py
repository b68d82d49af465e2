"""Write frame triplets of video clips, from a frame index on, as a
Middlebury-style folder for `keras-vsr evaluate interpolation --data DST`.

    python tools/interpolation_bench.py /tmp/clips_bench [--clips ../shared/data/video/clips]
        [--first 200] [--every 15] [--spacing 1] [--names tree.avi vtest.avi Megamind.avi]

The interpolator recipes read only the first frames of each clip
(`keras-vsr train ifnet --max-video-frames 200`); the frames from `--first`
on were never seen in training. Each scene `<clip>_<i>` is frames `i` and
`i + 2 * spacing` as `frame10` / `frame11` and frame `i + spacing` as
`frame10i11`, for `i = first, first + every, ...`; triplets that cross a
hard cut (`keras_vsr.io.video.detect_scene_cuts`) are left out, and so are
those whose three frames are equal (a clip's repeated frames: nothing moves,
and frame averaging's PSNR would be infinite).
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from keras_vsr.io.video import detect_scene_cuts, iter_video_frames

REPO = Path(__file__).resolve().parents[1]

CLIPS = ("tree.avi", "vtest.avi", "Megamind.avi")


def write_bench(dst, clips, names=CLIPS, first=200, every=15, spacing=1):
    """Write the triplets; returns the number of scenes per clip."""
    dst = Path(dst)
    if dst.exists():
        raise SystemExit(f"{dst} exists; choose a new folder")
    counts = {}
    for name in names:
        frames = np.stack(list(iter_video_frames(Path(clips) / name)))
        cuts = set(detect_scene_cuts(frames))
        counts[name] = 0
        for i in range(first, len(frames) - 2 * spacing, every):
            if any(i < cut <= i + 2 * spacing for cut in cuts):
                continue
            if np.array_equal(frames[i], frames[i + spacing]) and np.array_equal(frames[i], frames[i + 2 * spacing]):
                continue
            scene = f"{Path(name).stem}_{i:04d}"
            for part, stem, index in (("input", "frame10", i), ("input", "frame11", i + 2 * spacing),
                                      ("gt", "frame10i11", i + spacing)):
                folder = dst / part / scene
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(frames[index]).save(folder / f"{stem}.png")
            counts[name] += 1
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dst")
    parser.add_argument("--clips", default=str(REPO.parent / "shared" / "data" / "video" / "clips"))
    parser.add_argument("--names", nargs="+", default=list(CLIPS))
    parser.add_argument("--first", type=int, default=200)
    parser.add_argument("--every", type=int, default=15)
    parser.add_argument("--spacing", type=int, default=1)
    args = parser.parse_args(argv)
    counts = write_bench(args.dst, args.clips, args.names, args.first, args.every, args.spacing)
    print(", ".join(f"{name}: {n} triplets" for name, n in counts.items()) + f" -> {args.dst}")


if __name__ == "__main__":
    main()

"""End-to-end video upscaling speed beside the model alone, in one run.

    python tools/video_throughput.py [--presets NAME ...] [--frames 30] [--size 240x320]
                                     [--precision float32] [--batch 4] [--clip PATH]

Makes a `--frames`-frame H.264 clip of `--size` (HxW) from the start of
`--clip` (default `$KERAS_VSR_DATA/video/clips/vtest.avi`, else
`../shared/data/...`), then, for each preset on the current Keras backend
(`KERAS_BACKEND`), after one warm-up frame:

- decode: `iter_video_frames` alone;
- model: `SuperResolver.upscale` on the decoded frames held in memory;
- model, batched: `predict_on_batch` on `--batch` frames at a time (uint8
  conversion included), to show whether batching frames helps;
- encode: `write_video_atomic` of the upscaled frames, no model;
- end to end: `map_video(clip, dst, sr.upscale)`, what `keras-vsr upscale
  clip.mp4 out.mp4` runs (decode, model and encode overlapping in threads).

It prints frames per second for each, and the sum of decode + model +
encode (what a pipeline that does one thing at a time would take). Times
are wall-clock on a shared machine: compare the rows of one run.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def parse_size(text):
    height, width = (int(v) for v in text.lower().split("x"))
    return height, width


def default_clip():
    data = Path(os.environ.get("KERAS_VSR_DATA", ROOT.parent / "shared" / "data"))
    return data / "video" / "clips" / "vtest.avi"


def make_clip(src, dst, frames, size):
    """Write the first `frames` frames of `src`, resized to `size`, to the MP4 `dst`."""
    from PIL import Image

    from keras_vsr.io.video import iter_video_frames, probe_video, write_video_atomic

    def resized():
        for i, frame in enumerate(iter_video_frames(src)):
            if i == frames:
                return
            yield np.asarray(Image.fromarray(frame).resize(size[::-1], Image.BICUBIC))

    write_video_atomic(resized(), dst, 24, src, probe_video(src))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(preset, clip, workdir, batch, precision):
    from keras_vsr.inference.upscale import load_super_resolver
    from keras_vsr.io.video import iter_video_frames, map_video, probe_video, write_video_atomic
    from keras_vsr.utils.images import from_float, to_float

    sr = load_super_resolver(preset, precision)
    seconds, frames = timed(lambda: list(iter_video_frames(clip)))
    rows = {"decode": seconds}
    sr.upscale(frames[0])  # warm-up: tracing and compilation
    rows["model"], outputs = timed(lambda: [sr.upscale(f) for f in frames])

    def batched():
        for i in range(0, len(frames), batch):
            chunk = to_float(np.stack(frames[i : i + batch]))
            from_float(np.asarray(sr.predict_on_batch(chunk)), np.uint8)

    batched()  # warm-up at the batch shape
    rows[f"model, batch {batch}"], _ = timed(batched)
    info = probe_video(clip)
    rows["encode"], _ = timed(lambda: write_video_atomic(outputs, workdir / "encoded.mp4", 24, clip, info))
    rows["end to end (map_video)"], _ = timed(lambda: map_video(clip, workdir / "mapped.mp4", sr.upscale))
    rows["decode + model + encode"] = rows["decode"] + rows["model"] + rows["encode"]
    return len(frames), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["srresnet_b8f48_291photos_x4"])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--size", type=parse_size, default=(240, 320), help="HxW of the clip")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--clip", type=Path, default=None)
    args = parser.parse_args(argv)

    import keras

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clip = workdir / "clip.mp4"
        make_clip(args.clip or default_clip(), clip, args.frames, args.size)
        h, w = args.size
        print(f"backend {keras.backend.backend()}, precision {args.precision}, {args.frames} frames {h}x{w}")
        print("| preset | stage | s | frames/s |")
        print("|---|---|---|---|")
        for preset in args.presets:
            count, rows = measure(preset, clip, workdir, args.batch, args.precision)
            for stage, seconds in rows.items():
                print(f"| {Path(preset).name} | {stage} | {seconds:.2f} | {count / seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()

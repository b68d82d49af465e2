"""Frame-interpolation PSNR/SSIM on Middlebury "other", beside frame averaging.

    python tools/evaluate_interpolation.py                       # frame averaging only
    python tools/evaluate_interpolation.py --preset ffc_interpolator_vimeo
    python tools/evaluate_interpolation.py --preset ./my_preset --grey

Given frame10 and frame11 of each scene, the model predicts frame10i11.
Colour models are measured on RGB; `--grey` gives the model BT.601 luma
frames and measures on luma. Frame averaging (round((a + b) / 2)) gives
28.01 dB (RGB) on the 12 scenes.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keras_vsr.evaluation_interpolation import (  # noqa: E402
    evaluate_interpolation,
    format_interpolation_report,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "bench" / "middlebury_others"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default=None, help="interpolator preset name or folder; omit for frame averaging only")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="benchmark folder (input/<scene>, gt/<scene>)")
    p.add_argument("--grey", action="store_true", help="grey model: luma in, measured on luma")
    p.add_argument("--json", default=None, help="also write the result to this JSON file")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    predict = None
    title = "Middlebury-other, frame averaging"
    if args.preset:
        from keras_vsr.inference.interpolate import load_interpolator

        model = load_interpolator(args.preset)
        predict = model.predict_middle
        title = f"Middlebury-other, {args.preset}"
    result = evaluate_interpolation(predict, args.data, grey=args.grey)
    title += " (luma)" if args.grey else " (RGB)"
    print(format_interpolation_report(title, result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

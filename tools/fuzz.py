"""Fuzz `keras-vsr` with mutated copies of real, valid files.

    python tools/fuzz.py --cases 2000 --seed 0          # the full run (README, "Reliability")
    python tools/fuzz.py --cases 60 --max-minutes 5     # a quick one

Seed files are made first, small and valid: a PNG, a JPEG, a GIF with
transparency whose frames cover rectangles of different sizes, an MP4 (H.264
and AAC audio) and an AVI (MJPEG and PCM audio), and a tiny preset folder
(`config.json`, `metadata.json`, `model.weights.h5`). Each case takes one
seed file, mutates it (bit flips, truncation, a duplicated chunk, or an edited
header byte range; all drawn from `--seed`, so a run is reproducible), and
runs one command on it: `upscale`, `interpolate` or `colorize` on a mutated
image, GIF or video, or `upscale` with a preset folder one of whose files
is mutated (keras-hub's `from_preset`).

A case passes when:
- the exit status is 0, or 2 with exactly one `keras-vsr: error:` line on
  stderr that names the mutated file (its name, or its preset folder's);
- nothing on stderr looks like a traceback;
- it ends within `--timeout` seconds;
- the output folder holds the output on status 0 and nothing on status 2
  (no partial output, no temporary file);
- the input file is unchanged, byte for byte.

Commands run in worker processes that import the CLI once and call
`keras_vsr.cli.main`; a worker that overruns the timeout is killed and
replaced (the case is a "hang"), one that dies is a "crash". Failing cases
are listed with their seed, so `--only CASE` replays one. Exit status 0 when
every case passes, 1 otherwise.
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Seed file -> the commands run on its mutations.
COMMANDS = {
    "photo.png": ("upscale", "colorize"),
    "photo.jpg": ("upscale", "colorize"),
    "sprite.gif": ("upscale", "interpolate", "colorize"),
    "clip.mp4": ("upscale", "interpolate", "colorize"),
    "clip.avi": ("upscale", "interpolate", "colorize"),
    "preset/config.json": ("upscale",),
    "preset/metadata.json": ("upscale",),
    "preset/model.weights.h5": ("upscale",),
}
MUTATIONS = ("bit_flips", "truncate", "duplicate_chunk", "edit_header")
# Pixel limit per image or frame passed to every command (the default, 40 MP,
# would let a mutated header that claims a large image take minutes).
MAX_PIXELS = 200_000


# ---------------------------------------------------------------- seed files


def make_seeds(folder):
    """Write the valid seed files and the tiny presets into `folder`."""
    import imageio_ffmpeg
    import keras
    import numpy as np
    from PIL import Image

    from keras_vsr.models import FFCInterpolatorBackbone, Grey2RGBBackbone, SRResNetBackbone

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:24, 0:32]
    smooth = np.stack([x * 8, y * 10, (x + y) * 4], axis=-1).astype(np.uint8)
    photo = np.clip(smooth + rng.integers(0, 24, smooth.shape), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(folder / "photo.png")
    Image.fromarray(photo).save(folder / "photo.jpg", quality=90)

    # Transparent GIF whose later frames change only a rectangle: PIL stores
    # those frames as smaller rectangles at offsets.
    frames = []
    for i in range(4):
        frame = np.zeros((24, 32, 4), np.uint8)
        frame[..., :3] = smooth
        frame[..., 3] = 255
        frame[2 + i : 10 + 2 * i, 3 + 2 * i : 12 + 3 * i] = (255, 40 * i, 0, 255)
        frame[:4, :4, 3] = 0  # a transparent corner
        frames.append(Image.fromarray(frame))
    frames[0].save(
        folder / "sprite.gif", save_all=True, append_images=frames[1:], duration=[40, 60, 80, 100],
        loop=0, disposal=[2, 1, 1, 3], transparency=0,
    )

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    sources = ["-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=0.5",
               "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"]
    for name, codecs in (("clip.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]),
                         ("clip.avi", ["-c:v", "mjpeg", "-c:a", "pcm_s16le"])):
        subprocess.run([ffmpeg, "-nostdin", "-y", "-v", "error", *sources, *codecs, "-shortest", str(folder / name)],
                       check=True)

    keras.utils.set_random_seed(0)
    tiny = dict(filters=8, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3, image_residual=True)
    SRResNetBackbone(scale=4, num_blocks=1, **tiny).save_to_preset(str(folder / "preset"))
    Grey2RGBBackbone(filters=4, depth=2).save_to_preset(str(folder / "colorizer"))
    FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, seed=0).save_to_preset(
        str(folder / "interpolator")
    )
    return folder


# ----------------------------------------------------------------- mutations


def mutate(data, kind, rng):
    """`data` (bytes) changed by the mutation `kind`, drawn from `rng`."""
    data = bytearray(data)
    n = len(data)
    if kind == "bit_flips":
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del data[rng.randrange(n) :]
    elif kind == "duplicate_chunk":
        start = rng.randrange(n)
        chunk = data[start : start + rng.randint(1, 256)]
        at = rng.randrange(n)
        data[at:at] = chunk * rng.randint(1, 4)
    elif kind == "edit_header":
        start = rng.randrange(min(n, 64))
        value = rng.choice([b"\x00", b"\xff", b"\x7f", b"\x80", bytes([rng.randrange(256)])])
        data[start : start + rng.randint(1, 4)] = value * rng.randint(1, 4)
    else:
        raise ValueError(f"unknown mutation {kind!r}")
    return bytes(data)


def plan(count, seed):
    """The `count` cases of a run: `(case number, seed file, command, mutation, case seed)`."""
    rng = random.Random(seed)
    files = sorted(COMMANDS)
    return [
        (i, file, command, mutation, rng.randrange(2**32))
        for i in range(count)
        for file in [files[i % len(files)]]
        for command in [rng.choice(COMMANDS[file])]
        for mutation in [rng.choice(MUTATIONS)]
    ]


def prepare(case, seeds, work):
    """Write case `case`'s mutated input under `work`; return `(argv, input
    file, name the error must give, output folder)`."""
    number, file, command, mutation, case_seed = case
    rng = random.Random(case_seed)
    case_dir = Path(work) / f"case{number}"
    out_dir = case_dir / "out"
    out_dir.mkdir(parents=True)
    presets = {"upscale": seeds / "preset", "colorize": seeds / "colorizer", "interpolate": seeds / "interpolator"}
    if file.startswith("preset/"):
        preset = case_dir / "preset"
        shutil.copytree(seeds / "preset", preset)
        target = preset / Path(file).name
        source, named = seeds / "photo.png", preset.name
        presets["upscale"] = preset
    else:
        target = case_dir / Path(file).name
        source = named = target
    target.write_bytes(mutate((seeds / file).read_bytes(), mutation, rng))
    if file.startswith("preset/"):
        source = shutil.copy(source, case_dir / "photo.png")
    suffix = ".mp4" if Path(source).suffix == ".avi" else Path(source).suffix
    argv = [command, str(source), str(out_dir / f"result{suffix}"), "--preset", str(presets[command]), "-q"]
    argv += ["--max-pixels", str(MAX_PIXELS)]
    return argv, target, Path(named).name, out_dir


def check(case, result, target, digest, named, out_dir):
    """The problems with one finished case, as a list of strings."""
    problems = []
    status, stderr = result["status"], result["stderr"]
    if status not in (0, 2):
        problems.append(f"exit status {status}")
    if "Traceback" in stderr or 'File "' in stderr:
        problems.append("traceback on stderr")
    errors = [line for line in stderr.splitlines() if line.startswith("keras-vsr: error:")]
    if status == 2 and (len(errors) != 1 or named not in errors[0]):
        problems.append(f"status 2 without one error line naming {named}")
    left = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    expected = [f"result{'.mp4' if target.suffix == '.avi' else target.suffix}"] if status == 0 else []
    if status == 0 and target.parent.name == "preset":
        expected = ["result.png"]
    if left != expected:
        problems.append(f"output folder holds {left}, expected {expected}")
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        problems.append("the input changed")
    return problems


# ------------------------------------------------------------------- workers


def worker_main():
    """Worker: read one JSON argv per line on stdin, run `keras_vsr.cli.main`
    on it, answer one JSON line `{"status", "stderr"}` on the original stdout."""
    from keras_vsr import cli

    reply = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # what the command prints is not checked
    print(json.dumps({"ready": True}), file=reply, flush=True)
    for line in sys.stdin:
        argv = json.loads(line)
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = cli.main(argv)
            except BaseException as e:  # noqa: BLE001 - reported as a finding
                import traceback

                captured.write("Traceback (fuzz worker):\n" + traceback.format_exc())
                status = f"raised {type(e).__name__}"
        print(json.dumps({"status": status, "stderr": captured.getvalue()}), file=reply, flush=True)


class Worker:
    """A worker process, restarted after `recycle` cases or a failure."""

    def __init__(self, backend, recycle=150):
        self.backend, self.recycle, self.process, self.done = backend, recycle, None, 0

    def _start(self):
        env = {**os.environ, "KERAS_BACKEND": self.backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
        )
        self._read(300)  # "ready"
        self.done = 0

    def _read(self, timeout):
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            raise EOFError
        return json.loads(line)

    def stop(self):
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)  # the worker and any ffmpeg it started
            self.process.wait()
            self.process = None

    def run(self, argv, timeout):
        if self.process is None or self.done >= self.recycle:
            self.stop()
            self._start()
        self.process.stdin.write(json.dumps(argv) + "\n")
        self.process.stdin.flush()
        try:
            result = self._read(timeout)
        except TimeoutError:
            self.stop()
            return {"status": "hang", "stderr": f"no answer within {timeout} s"}
        except EOFError:
            code = self.process.wait()
            self.process = None
            return {"status": f"crash ({code})", "stderr": ""}
        self.done += 1
        return result


def run_cases(cases, seeds, work, backend="tensorflow", timeout=60.0, deadline=None, log=print):
    """Run `cases` (from `plan`); return `(results, failures)`: a Counter of
    outcomes and a list of `(case, argv, problems, stderr)`."""
    worker = Worker(backend)
    outcomes, failures = Counter(), []
    try:
        for case in cases:
            if deadline is not None and time.time() > deadline:
                log(f"time limit reached after {sum(outcomes.values())} cases")
                break
            argv, target, named, out_dir = prepare(case, seeds, work)
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            result = worker.run(argv, timeout)
            problems = check(case, result, target, digest, named, out_dir)
            outcomes["failed" if problems else f"exit {result['status']}"] += 1
            if problems:
                failures.append((case, argv, problems, result["stderr"]))
                log(f"FAIL case {case[0]} ({case[1]}, {case[2]}, {case[3]}): {'; '.join(problems)}")
                log("    " + result["stderr"].strip().replace("\n", "\n    ")[-2000:])
            shutil.rmtree(Path(work) / f"case{case[0]}", ignore_errors=True)
    finally:
        worker.stop()
    return outcomes, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="number of cases (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole run (default 0)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per case (default 60)")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop starting cases after this time")
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--only", type=int, action="append", help="run only this case number (repeatable)")
    parser.add_argument("--work", default=None, help="work folder (default: a new temporary folder, removed)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--make-seeds", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main()
    if args.make_seeds:
        make_seeds(args.make_seeds)
        return 0
    if args.cases < 1 or args.timeout <= 0:
        parser.error("--cases and --timeout must be positive")

    start = time.time()
    with contextlib.ExitStack() as stack:
        work = Path(args.work) if args.work else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        seeds = work / "seeds"
        if not (seeds / "preset").is_dir():
            env = {**os.environ, "KERAS_BACKEND": args.backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
            subprocess.run([sys.executable, __file__, "--make-seeds", str(seeds)], check=True, env=env)
        cases = plan(max(args.cases, max(args.only or [0]) + 1), args.seed)
        if args.only:
            cases = [cases[i] for i in args.only]
        deadline = start + args.max_minutes * 60 if args.max_minutes else None
        outcomes, failures = run_cases(cases, seeds, work / "cases", args.backend, args.timeout, deadline)
    total = sum(outcomes.values())
    print(
        f"{total} cases (seed {args.seed}, {args.backend}) in {time.time() - start:.0f} s: "
        + ", ".join(f"{name}: {n}" for name, n in sorted(outcomes.items()))
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

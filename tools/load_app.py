"""Drive a live keras-vsr web app on 127.0.0.1 with many clients, abuse and probes.

    python tools/load_app.py --clients 50 --disconnects 10     # the README's figures

It starts `keras-vsr app` in a child process (a tiny x4 preset made here,
its temporary files in a folder of this tool's own), then, in order:

1. abuse: empty, text, truncated, decompression-bomb and wrong-extension
   uploads through the API; each must be refused with the message the CLI
   gives for that file (file name and reason);
2. probes: paths outside the app (`/etc/passwd`, `..` traversal, encoded,
   and a symlink placed in the app's own folder) must not be served;
3. abandoned requests: an image sent just behind another client's long GIF
   waits for the whole GIF; when the GIF's client cancels and closes
   (`gradio_client`) or drops its connections (a closed tab) one second
   later, the image is served without waiting for the GIF (the figures:
   seconds waited each way); and once a session closes, its upload and
   results are gone from the server's temporary folder;
4. load: `--clients` clients at once, a seeded mix of images, GIFs and short
   videos, each served or refused with the queue-full message; meanwhile
   `--disconnects` clients submit a video and close their connection;
5. afterwards the server must still serve a request, and the peak resident
   memory of the server process (`VmHWM`) must stay under `--max-rss-mb`.

Prints one line per check and a summary; exit status 0 when all pass.
Bounded: every request and every wait has `--timeout` seconds.
"""

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUEUE_FULL = "Queue is full"


# ------------------------------------------------------------------- inputs


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width=100_000, height=100_000):
    """A PNG of a few hundred bytes whose header claims `width` x `height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1024)) \
        + _png_chunk(b"IEND", b"")


def make_inputs(folder, seed=0):
    """Small valid inputs (`image.png`, `anim.gif`, `clip.mp4`) and the
    abusive uploads; returns `{name: path}`."""
    import imageio.v2 as imageio
    import numpy as np
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(6)]
    Image.fromarray(frames[0]).save(folder / "image.png")
    images = [Image.fromarray(f) for f in frames]
    images[0].save(folder / "anim.gif", save_all=True, append_images=images[1:], duration=60, loop=0)
    imageio.mimwrite(folder / "clip.mp4", frames, fps=10, macro_block_size=1)
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("not an image\n")
    (folder / "cut.png").write_bytes((folder / "image.png").read_bytes()[:200])
    (folder / "bomb.png").write_bytes(bomb_png())
    shutil.copy(folder / "image.png", folder / "photo.gif")  # a PNG named .gif, to the GIF tab
    (folder / "notes.mp4").write_text("not a video\n")
    return {p.name: p for p in folder.iterdir()}


def cli_message(path, kind):
    """The message the CLI gives for `path`, without its folder (as the app shows it)."""
    from keras_vsr.io import ImageReadError, load_image, read_gif_info
    from keras_vsr.io.video import probe_video

    read = {"image": load_image, "gif": read_gif_info, "video": probe_video}[kind]
    try:
        read(path)
    except ImageReadError as e:
        return str(e).replace(str(path), Path(path).name)
    return None


# ------------------------------------------------------------------- server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder, backend="tensorflow"):
    """Start `keras-vsr app` with a tiny x4 preset; temporary files under
    `folder/tmp`. Returns `(process, url, tmp folder)` once it answers."""
    folder = Path(folder)
    preset = folder / "tiny_x4"
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO),
           "TMPDIR": str(tmp), "GRADIO_TEMP_DIR": str(tmp / "gradio"), "GRADIO_ANALYTICS_ENABLED": "False"}
    if not preset.is_dir():
        code = ("import keras; from keras_vsr.models import SRResNetBackbone; keras.utils.set_random_seed(1); "
                "SRResNetBackbone(scale=4, num_blocks=1, filters=8, use_batch_norm=False, head_kernel_size=3, "
                f"tail_kernel_size=3, image_residual=True).save_to_preset({str(preset)!r})")
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_vsr.cli", "app", "--port", str(port), "--preset", str(preset),
         "--max-file-size", "2mb"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"), start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode}; see {folder / 'server.log'}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return process, url, tmp
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(1)
    raise RuntimeError("the app did not answer within 300 s")


def peak_rss_mb(pid):
    """Peak resident memory (`VmHWM`) of process `pid`, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ clients

API = {"image": "/upscale_image", "gif": "/upscale_gif", "video": "/upscale_video"}
KIND = {".png": "image", ".gif": "gif", ".mp4": "video"}


def request(url, path, kind, timeout):
    """One request through the API: `("served", seconds)`, `("queue full",
    message)` or `("error", message)`."""
    from gradio_client import Client, handle_file

    start = time.time()
    try:
        client = Client(url, verbose=False)
        args = [handle_file(str(path)), "tiny_x4", 2] + ([1] if kind != "image" else [])
        job = client.submit(*args, api_name=API[kind])
        job.result(timeout=timeout)
        return "served", time.time() - start
    except Exception as e:  # noqa: BLE001 - every outcome is reported
        message = str(e)
        return ("queue full" if QUEUE_FULL in message else "error"), message


def disconnect(url, path, after):
    """Submit a video, then cancel it and close the client after `after` seconds."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    job = client.submit(handle_file(str(path)), "tiny_x4", 2, 1, api_name=API["video"])
    time.sleep(after)
    job.cancel()
    client.close()
    return "disconnected"


def long_gif(path, frames=60, size=(64, 64), seed=0):
    """A GIF of `frames` random frames that takes the tiny preset seconds to upscale."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)) for _ in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=40, loop=0)
    return Path(path)


def _submit_and_drop(url, path, api_name, after, started, go):
    """Open a session as a browser tab does (its heartbeat), upload `path`
    and submit it to `api_name`; read the event stream until the request
    starts (then set the `threading.Event` `started`), wait for the event
    `go` and `after` seconds more, and close every connection without a
    word, as a closed tab."""
    import uuid

    import httpx

    session = uuid.uuid4().hex[:11]
    config = httpx.get(f"{url}config", timeout=60).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name.strip("/"))
    with httpx.Client(base_url=f"{url}gradio_api", timeout=60) as http, \
            http.stream("GET", f"/heartbeat/{session}"):
        with open(path, "rb") as f:
            uploaded = http.post("/upload", files={"files": (Path(path).name, f)}).json()[0]
        file = {"path": uploaded, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}
        http.post("/queue/join", json={"data": [file, "tiny_x4", 2, 1], "fn_index": fn_index, "session_hash": session,
                                        "event_data": None, "trigger_id": None}).raise_for_status()
        with http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            drop_at = None
            for line in stream.iter_lines():  # progress messages come with every frame
                if "process_starts" in line:
                    started.set()
                if go.is_set():
                    drop_at = drop_at or time.time() + after
                    if time.time() >= drop_at:
                        break


def wait_behind(url, gif, image, timeout, abandon=None, after=1.0):
    """Seconds an image request waits for its result when sent just after
    another client's long `gif` request.

    Args:
        abandon: None (the GIF's client waits for its result), "cancel" (it
            cancels the request and closes, as `gradio_client` does) or
            "drop" (it closes its connection, as a closed browser tab).
        after: seconds after the image request when the GIF is abandoned.
    """
    from gradio_client import Client, handle_file
    from gradio_client.utils import Status

    second = Client(url, verbose=False, download_files=False)
    if abandon == "drop":
        started, go = threading.Event(), threading.Event()
        dropping = threading.Thread(target=_submit_and_drop, args=(url, gif, API["gif"], after, started, go))
        dropping.start()
        if not started.wait(timeout):
            raise RuntimeError(f"the GIF request did not start within {timeout} s")
    else:
        first = Client(url, verbose=False, download_files=False)
        job = first.submit(handle_file(str(gif)), "tiny_x4", 2, 1, api_name=API["gif"])
        deadline = time.time() + timeout
        while job.status().code not in (Status.PROCESSING, Status.PROGRESS) and time.time() < deadline:
            if job.done():
                job.result()  # raises the server's refusal
            time.sleep(0.05)
    start = time.time()
    waiting = second.submit(handle_file(str(image)), "tiny_x4", 2, api_name=API["image"])
    if abandon == "drop":
        go.set()
    elif abandon == "cancel":
        time.sleep(after)
        job.cancel()
        first.close()
    waiting.result(timeout=timeout)
    seconds = time.time() - start
    if abandon == "drop":
        dropping.join()
    else:
        if abandon is None:
            job.result(timeout=timeout)
        first.close()
    second.close()
    return seconds


def session_files(folder, stem):
    """The files under `folder` whose name contains `stem` (folders that
    vanish meanwhile are skipped)."""
    return sorted(Path(root) / name for root, _, names in os.walk(folder) for name in names if stem in name)


def files_left(folder, stem, timeout):
    """`session_files(folder, stem)` once there are none, or after `timeout` seconds."""
    deadline = time.time() + timeout
    while (left := session_files(folder, stem)) and time.time() < deadline:
        time.sleep(0.1)
    return left


def files_after_session(url, image, upload_folder, timeout=30.0):
    """Upscale a copy of `image` under a unique name in a new session and
    close the session.

    Returns:
        `(during, left, seconds)`: the session's files under `upload_folder`
        while it was open, those left once none are left or `timeout`
        seconds after it closed, and the seconds that took.
    """
    import uuid

    from gradio_client import Client, handle_file

    stem = f"session_{uuid.uuid4().hex[:8]}"
    mine = Path(tempfile.mkdtemp()) / f"{stem}.png"
    shutil.copy(image, mine)
    client = Client(url, verbose=False, download_files=False)
    client.predict(handle_file(str(mine)), "tiny_x4", 2, api_name=API["image"])
    shutil.rmtree(mine.parent)
    during = session_files(upload_folder, stem)
    client.close()
    start = time.time()
    left = files_left(upload_folder, stem, timeout)
    return during, left, time.time() - start


def probe(url, target):
    """The HTTP status of fetching `target` through the file route."""
    try:
        with urllib.request.urlopen(f"{url}gradio_api/file={target}", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


# ---------------------------------------------------------------------- run


def run(folder, clients=50, disconnects=10, seed=0, timeout=300.0, max_rss_mb=4096, backend="tensorflow",
        log=print):
    """Every check of the module docstring; returns `(passed, figures)`."""
    folder = Path(folder)
    inputs = make_inputs(folder / "inputs", seed)
    process, url, tmp = start_server(folder, backend=backend)
    ok, figures = True, {}

    def verdict(passed, text):
        nonlocal ok
        ok &= bool(passed)
        log(f"{'ok  ' if passed else 'FAIL'} {text}")

    try:
        # 1. Abuse.
        for name, kind in [("empty.png", "image"), ("notes.png", "image"), ("cut.png", "image"),
                           ("bomb.png", "image"), ("photo.gif", "gif"), ("notes.mp4", "video")]:
            outcome, message = request(url, inputs[name], kind, timeout)
            expected = cli_message(inputs[name], kind) if name != "photo.gif" else "photo.gif is a PNG image, not a GIF"
            verdict(outcome == "error" and expected and expected.rstrip(".") in message,
                    f"{name} to the {kind} tab: {message!r} (the CLI: {expected!r})")
        big = folder / "inputs" / "big.png"
        big.write_bytes(os.urandom(3 * 1024 * 1024))
        outcome, message = request(url, big, "image", timeout)
        verdict(outcome == "error" and ("413" in message or "maximum file size" in message),
                f"3 MB upload above --max-file-size 2mb: {message[:160]!r}")

        # 2. Probes.
        workdirs = sorted((tmp / "gradio").glob("keras-vsr-app-*"))
        link = workdirs[0] / "link.txt" if workdirs else tmp / "link.txt"
        link.symlink_to("/etc/passwd")
        for target in ["/etc/passwd", "../../../../etc/passwd", urllib.parse.quote("/etc/passwd", safe=""),
                       f"{tmp}/../../../etc/passwd", str(link), __file__]:
            status = probe(url, target)
            verdict(status in (403, 404), f"file={target}: HTTP {status}")

        # 3. Abandoned requests and closed sessions.
        gif = long_gif(folder / "inputs" / "long.gif", frames=150)
        for abandon in (None, "cancel", "drop"):
            seconds = wait_behind(url, gif, inputs["image.png"], timeout, abandon=abandon, after=1.0)
            figures[f"image_wait_behind_gif_{abandon or 'kept'}_s"] = round(seconds, 1)
        kept = figures["image_wait_behind_gif_kept_s"]
        for abandon in ("cancel", "drop"):
            waited = figures[f"image_wait_behind_gif_{abandon}_s"]
            verdict(waited < kept / 2, f"image behind a GIF abandoned ({abandon}) 1 s later: served after {waited} s "
                    f"(behind the same GIF kept: {kept} s)")
        during, left, seconds = files_after_session(url, inputs["image.png"], tmp / "gradio", timeout=60)
        figures["session_cleanup_s"] = round(seconds, 1)
        verdict(len(during) == 3 and not left, f"a closed session's files: {len(during)} while open, "
                f"{len(left)} left after it closed ({figures['session_cleanup_s']} s)")

        # 4. Load and disconnects.
        rng = random.Random(seed)
        kinds = [rng.choice(["image.png", "anim.gif", "clip.mp4"]) for _ in range(clients)]
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(clients + disconnects) as pool:
            gone = [pool.submit(disconnect, url, inputs["clip.mp4"], 0.5 + 0.2 * i) for i in range(disconnects)]
            futures = [pool.submit(request, url, inputs[name], KIND[Path(name).suffix], timeout) for name in kinds]
            outcomes = [f.result() for f in futures]
            for f in gone:
                f.result()
        counts = {k: sum(1 for o, _ in outcomes if o == k) for k in ("served", "queue full", "error")}
        served = sorted(s for o, s in outcomes if o == "served")
        figures.update(clients=clients, disconnects=disconnects, load_seconds=round(time.time() - start, 1), **counts)
        if served:
            figures["slowest_served_s"] = round(served[-1], 1)
        verdict(counts["error"] == 0, f"{clients} clients: {counts}; errors: "
                f"{[m[:120] for o, m in outcomes if o == 'error'][:3]}")

        # 5. Alive afterwards, memory.
        outcome, seconds = request(url, inputs["image.png"], "image", timeout)
        verdict(outcome == "served", f"served after the load: {outcome}")
        figures["peak_rss_mb"] = round(peak_rss_mb(process.pid))
        verdict(figures["peak_rss_mb"] < max_rss_mb,
                f"peak server RSS {figures['peak_rss_mb']} MiB (bound {max_rss_mb} MiB)")
        verdict(process.poll() is None, "the server is alive")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    log(json.dumps(figures))
    return ok, figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--disconnects", type=int, default=10, help="clients that disconnect (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per request (default 600)")
    parser.add_argument("--max-rss-mb", type=float, default=4096, help="bound on the server's peak RSS")
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--work", default=None, help="work folder (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.disconnects < 0:
        parser.error("--clients must be positive and --disconnects not negative")
    with tempfile.TemporaryDirectory() as tmp:
        ok, _ = run(Path(args.work or tmp), args.clients, args.disconnects, args.seed, args.timeout,
                    args.max_rss_mb, args.backend)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

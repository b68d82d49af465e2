"""Faults while writing: a file-size limit, a full disk, a process killed
mid-write. The destination is then the previous complete file or absent,
never a partial one; temporary files are recognisable (`.NAME.PID.*`) and
removed by the next write; the error names the file and the cause."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from keras_vsr.utils.atomic_files import atomic_temporary, remove_stale_temporaries, write_folder_atomic
from tests.support import BACKEND, REPO, run_python


def _noise_inputs(folder):
    """A PNG, a GIF and an MP4 of noise whose upscaled results are well above 8 kB."""
    import imageio.v2 as imageio

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(4)]
    Image.fromarray(frames[0]).save(folder / "noise.png")
    images = [Image.fromarray(f) for f in frames]
    images[0].save(folder / "noise.gif", save_all=True, append_images=images[1:], duration=50, loop=0)
    imageio.mimwrite(folder / "noise.mp4", frames, fps=10, macro_block_size=1)
    return [folder / name for name in ("noise.png", "noise.gif", "noise.mp4")]


def _strays(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _run_cli_in_child(jobs, limited_jobs, preset, file_size_limit):
    """In one child process, run `keras-vsr upscale SRC DST --overwrite` for
    each `(src, dst)` of `jobs`, then, with RLIMIT_FSIZE `file_size_limit`
    (and SIGXFSZ ignored), of `limited_jobs`; returns `[(status, stderr)]`."""
    code = textwrap.dedent(f"""
        import contextlib, io, json, resource, signal
        from keras_vsr import cli
        cli._set_backend(None)  # load Keras before the limit

        def upscale(src, dst):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                status = cli.main(["upscale", src, dst, "--preset", {str(preset)!r}, "--overwrite", "-q"])
            return status, err.getvalue()

        results = [upscale(src, dst) for src, dst in {[(str(s), str(d)) for s, d in jobs]!r}]
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size_limit}, {file_size_limit}))
        results += [upscale(src, dst) for src, dst in {[(str(s), str(d)) for s, d in limited_jobs]!r}]
        print("RESULTS", json.dumps(results))
    """)
    result = run_python(code, timeout=300)
    line = [x for x in result.stdout.splitlines() if x.startswith("RESULTS ")]
    assert line, result.stderr[-3000:]
    return json.loads(line[0][len("RESULTS "):])


def _mount_tmpfs(folder, size):
    """Mount a tmpfs of `size` on `folder`; False where this is not allowed."""
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(BACKEND != "tensorflow", reason="writing does not depend on the backend; run once")
def test_full_disk_and_file_size_limit_leave_the_previous_file_and_name_the_cause(tmp_path, tiny_preset):
    """Image, GIF and video writes on a full disk (a small tmpfs, where this
    test may mount one) and under a file-size limit (RLIMIT_FSIZE)."""
    sources = _noise_inputs(tmp_path)
    out, disk = tmp_path / "out", tmp_path / "disk"
    out.mkdir()
    full_disk = _mount_tmpfs(disk, "64k")
    try:
        if full_disk:
            (disk / "fill").write_bytes(b"\0" * 40_000)
        disk_jobs = [(src, disk / src.name) for src in sources] if full_disk else []
        limited_jobs = [(src, out / src.name) for src in sources]
        for _, dst in limited_jobs:
            dst.write_bytes(b"previous complete file")
        results = _run_cli_in_child(disk_jobs, limited_jobs, tiny_preset, file_size_limit=8192)
        causes = ["No space left on device"] * len(disk_jobs) + ["File too large"] * len(limited_jobs)
        for (_, dst), (status, stderr), cause in zip(disk_jobs + limited_jobs, results, causes):
            assert status == 1, stderr
            assert stderr.strip() == f"keras-vsr: error: {dst}: cannot write the result ({cause})"
        assert all(dst.read_bytes() == b"previous complete file" for _, dst in limited_jobs)
        assert _strays(out) == []
        if full_disk:
            assert sorted(p.name for p in disk.iterdir()) == ["fill"]
    finally:
        if full_disk:
            subprocess.run(["umount", str(disk)], check=False)


def _killed_child(code):
    """Run `code` in a child that SIGKILLs itself; return the child's pid."""
    process = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
    return int(process.stdout.split()[0])


_KILL_AT_FRAME = """
    import os, signal, sys
    import numpy as np
    print(os.getpid(), flush=True)

    def frames():
        rng = np.random.default_rng(0)
        for i in range(1000):
            if i == 6:
                os.kill(os.getpid(), signal.SIGKILL)
            yield rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
"""


@pytest.mark.parametrize("kind", ["gif", "mp4"])
def test_killed_mid_write_leaves_the_previous_file_and_the_next_write_cleans_up(tmp_path, kind):
    dst = tmp_path / f"long.{kind}"
    dst.write_bytes(b"previous complete file")
    write = {
        "gif": "from keras_vsr.io import write_gif_atomic\n"
               f"write_gif_atomic(frames(), {str(dst)!r}, durations=40, optimize=False)",
        "mp4": "from keras_vsr.io.video import write_video_atomic\n"
               f"write_video_atomic(frames(), {str(dst)!r}, 10, None, None)",
    }[kind]
    pid = _killed_child(textwrap.dedent(_KILL_AT_FRAME) + write)
    assert dst.read_bytes() == b"previous complete file"
    strays = _strays(tmp_path)
    assert strays and all(name.startswith(f".{dst.name}.{pid}.") for name in strays)
    assert remove_stale_temporaries(dst) and _strays(tmp_path) == []


def test_stray_files_of_running_processes_and_other_names_are_kept(tmp_path):
    dst = tmp_path / "a.png"
    fd, mine = atomic_temporary(dst)
    os.close(fd)
    other = tmp_path / ".b.png.1.x.part"  # another destination
    other.write_bytes(b"")
    assert remove_stale_temporaries(dst) == []  # this process is alive
    assert mine.exists() and other.exists()


@pytest.mark.skipif(BACKEND != "jax", reason="writing does not depend on the backend; run once (on the JAX pass)")
def test_killed_while_saving_a_preset_leaves_the_previous_preset(tmp_path, tiny_preset):
    preset = tmp_path / "preset"
    shutil.copytree(tiny_preset, preset)
    before = {p.name: p.read_bytes() for p in preset.iterdir()}
    pid = _killed_child(f"""
        import os, signal
        print(os.getpid(), flush=True)
        from keras_vsr.models import SRResNetBackbone
        from keras_vsr.utils.atomic_files import write_folder_atomic
        backbone = SRResNetBackbone(scale=2, num_blocks=1, filters=4)

        def write(folder):
            backbone.save_to_preset(folder)
            os.kill(os.getpid(), signal.SIGKILL)

        write_folder_atomic({str(preset)!r}, write)
    """)
    assert {p.name: p.read_bytes() for p in preset.iterdir()} == before
    assert all(name.startswith(f".preset.{pid}.") for name in _strays(tmp_path))
    # The next save replaces the preset whole and removes the stray folder.
    write_folder_atomic(preset, lambda folder: shutil.copy(tiny_preset / "config.json", folder))
    assert sorted(p.name for p in preset.iterdir()) == ["config.json"]
    assert _strays(tmp_path) == []


def test_a_failed_folder_write_keeps_the_previous_folder(tmp_path):
    folder = tmp_path / "preset"
    folder.mkdir()
    (folder / "config.json").write_text("old")

    def write(tmp):
        (tmp_path / "seen").write_text(tmp)
        with open(os.path.join(tmp, "config.json"), "w") as f:
            f.write("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_folder_atomic(folder, write)
    assert (folder / "config.json").read_text() == "old"
    assert _strays(tmp_path) == []


# ------------------------------------------------------------ training faults

_TASKS = """
import keras
import numpy as np
from keras_vsr.losses import MSELoss
from keras_vsr.models import SRResNetBackbone, SRWGAN, SRWGANCritic, SuperResolver


def make_task(kind):
    keras.utils.set_random_seed(0)
    generator = SRResNetBackbone(
        scale=2, num_blocks=1, filters=8, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3
    )
    if kind == "sr":
        task = SuperResolver(generator)
        task.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    else:
        task = SRWGAN(generator, SRWGANCritic(filters=4, num_blocks=2), seed=0)
        task.compile(content_loss=MSELoss(), generator_optimizer=keras.optimizers.Adam(1e-3),
                     discriminator_optimizer=keras.optimizers.Adam(1e-3), n_critic=2)
    task.build((None, 8, 8, 3))
    return task


def fit(task, folder, epochs):
    from keras_vsr.training.callbacks import TrainingCheckpoint

    rng = np.random.default_rng(0)
    lr, hr = rng.random((4, 8, 8, 3)).astype("float32"), rng.random((4, 16, 16, 3)).astype("float32")
    checkpoint = TrainingCheckpoint(folder)
    history = task.fit(lr, hr, batch_size=2, epochs=epochs, shuffle=False, verbose=0, callbacks=[checkpoint])
    return checkpoint, history
"""

_TASKS_IN_TESTS = {}


def _tasks():
    """The namespace of `_TASKS`, compiled once in this process."""
    if not _TASKS_IN_TESTS:
        exec(compile(_TASKS, "_TASKS", "exec"), _TASKS_IN_TESTS)
    return _TASKS_IN_TESTS


# Each kind once, on a different backend pass, to spread their cost.
@pytest.mark.parametrize("kind,backend", [("sr", "jax"), ("gan", "torch")])
def test_run_killed_while_writing_a_checkpoint_resumes_from_the_last_complete_one(tmp_path, kind, backend):
    if BACKEND != backend:
        pytest.skip(f"run on the {backend} pass only")
    folder = tmp_path / "backup"
    # The child saves epoch 1, then is killed halfway through writing epoch 2.
    result = run_python(_TASKS + textwrap.dedent(f"""
        import os, signal
        task = make_task({kind!r})
        save_weights = task.save_weights
        saves = []

        def save_weights_then_die(path, overwrite=True):
            save_weights(path, overwrite=overwrite)
            saves.append(path)
            if len(saves) == 2:
                with open(path, "r+b") as f:
                    f.truncate(os.path.getsize(path) // 2)
                os.kill(os.getpid(), signal.SIGKILL)

        task.save_weights = save_weights_then_die
        fit(task, {str(folder)!r}, epochs=3)
    """), timeout=300)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "epoch-000001.json", "epoch-000001.weights.h5"
    ]
    assert _strays(folder)  # the half-written epoch 2

    from keras_vsr.training.callbacks import TrainingCheckpoint

    task = _tasks()["make_task"](kind)
    checkpoint = TrainingCheckpoint(folder)
    checkpoint.set_model(task)
    checkpoint.on_train_begin()
    assert checkpoint.restored == folder / "epoch-000001.weights.h5" and task._initial_epoch == 1
    optimizers = [task.optimizer] if kind == "sr" else [task.generator_optimizer, task.discriminator_optimizer]
    assert [int(o.iterations) for o in optimizers] == ([2] if kind == "sr" else [2, 4])  # epoch 1's steps
    checkpoint.on_epoch_end(1)  # the resumed run's next checkpoint
    assert _strays(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == [
        "epoch-000001.json", "epoch-000001.weights.h5", "epoch-000002.json", "epoch-000002.weights.h5"
    ]


@pytest.fixture(scope="module")
def two_checkpoints(tmp_path_factory):
    """A checkpoint folder after two epochs of a tiny SR task."""
    ns = _tasks()
    folder = tmp_path_factory.mktemp("run") / "backup"
    ns["fit"](ns["make_task"]("sr"), folder, epochs=2)
    return folder


@pytest.mark.parametrize("damage", ["bit_flip", "truncate", "record"])
def test_corrupted_checkpoint_is_reported_and_the_previous_one_restored(tmp_path, two_checkpoints, damage):
    from keras_vsr.training.callbacks import TrainingCheckpoint

    folder = tmp_path / "backup"
    shutil.copytree(two_checkpoints, folder)
    newest = folder / "epoch-000002.weights.h5"
    data = bytearray(newest.read_bytes())
    if damage == "bit_flip":
        data[len(data) // 2] ^= 0x10
        newest.write_bytes(bytes(data))
    elif damage == "truncate":
        newest.write_bytes(bytes(data[: len(data) // 3]))
    else:
        (folder / "epoch-000002.json").write_text("{not json")
    task = _tasks()["make_task"]("sr")
    checkpoint = TrainingCheckpoint(folder)
    checkpoint.set_model(task)
    named = "epoch-000002.json" if damage == "record" else "epoch-000002.weights.h5"
    with pytest.warns(UserWarning, match=rf"{named}.*skipped"):
        checkpoint.on_train_begin()
    assert checkpoint.restored == folder / "epoch-000001.weights.h5"
    assert task._initial_epoch == 1


# --------------------------------------------------------- hub and cache faults

_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    """An empty Hugging Face cache, offline: `(cache folder, hf:// handle)`."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache, "hf://me/tiny"


def _cache_preset(cache, preset):
    """Put the preset folder `preset` into `cache` as the snapshot of hf://me/tiny."""
    repo = cache / "models--me--tiny"
    snapshot = repo / "snapshots" / _COMMIT
    shutil.copytree(preset, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(_COMMIT)
    return snapshot


@pytest.mark.parametrize(
    "damage,message",
    [
        ("none", None),
        ("truncated weights", r"model\.weights\.h5 is corrupt, truncated"),
        ("corrupted config", r"config\.json or metadata\.json is not valid JSON"),
        ("nothing cached", r"not in the Hugging Face cache .* HF_HUB_OFFLINE=1 forbids downloading"),
        ("interrupted download", r"not in the Hugging Face cache .* HF_HUB_OFFLINE=1 forbids downloading"),
    ],
)
def test_hugging_face_cache_faults_give_one_clear_error(offline_cache, tiny_preset, damage, message):
    from keras_vsr.models import SuperResolver

    cache, handle = offline_cache
    if damage == "interrupted download":  # a partial blob and no snapshot file
        blobs = cache / "models--me--tiny" / "blobs"
        blobs.mkdir(parents=True)
        (blobs / "0a1b2c.incomplete").write_bytes((tiny_preset / "config.json").read_bytes()[:50])
    elif damage != "nothing cached":
        snapshot = _cache_preset(cache, tiny_preset)
        if damage == "truncated weights":
            weights = snapshot / "model.weights.h5"
            weights.write_bytes(weights.read_bytes()[:2000])
        elif damage == "corrupted config":
            config = snapshot / "config.json"
            config.write_bytes(config.read_bytes()[:40])
    if message is None:
        assert SuperResolver.from_preset(handle).backbone.scale == 4
        return
    with pytest.raises(ValueError, match=message) as info:
        SuperResolver.from_preset(handle)
    assert str(cache / "models--me--tiny") in str(info.value)  # what to delete, or where it was looked for


def test_a_config_naming_other_code_is_refused_without_running_it(tmp_path, tiny_preset):
    from keras_vsr.models import SuperResolver

    preset = tmp_path / "preset"
    shutil.copytree(tiny_preset, preset)
    config = json.loads((preset / "config.json").read_text())
    marker = tmp_path / "ran"
    config.update(module="os", class_name="system", config={"command": f"touch {marker}"})
    (preset / "config.json").write_text(json.dumps(config))
    with pytest.raises((ValueError, TypeError)):
        SuperResolver.from_preset(str(preset))
    assert not marker.exists()


# ------------------------------------------------------------ preset folders of a run

ONE_BACKEND = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="writing does not depend on the backend; run once (on the TensorFlow pass)"
)


@ONE_BACKEND
def test_a_failed_model_card_write_keeps_the_previous_files(tmp_path, monkeypatch):
    from keras_vsr.training import model_card
    from tests.support import tiny_srresnet

    preset = tmp_path / "preset"
    backbone = tiny_srresnet()
    backbone.save_to_preset(str(preset))
    card = dict(description="d", usage="u", evaluation="e", training={"steps": 1}, licences="l")
    model_card.write_model_card(preset, "old", backbone, **card)
    before = {p.name: p.read_bytes() for p in preset.iterdir()}

    def half_then_full_disk(obj, f, **kwargs):
        f.write('{"description": "ha')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_card.json, "dump", half_then_full_disk)
    with pytest.raises(OSError, match="No space left"):
        model_card.update_metadata(preset, {"description": "new"})
    monkeypatch.undo()

    def fail_to_rename(tmp, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_card, "replace_with_umask", fail_to_rename)
    with pytest.raises(OSError, match="No space left"):
        model_card.write_model_card(preset, "new", backbone, **card)
    assert {p.name: p.read_bytes() for p in preset.iterdir()} == before
    assert _strays(preset) == []


def _run(tmp_path, preset_dir):
    import argparse

    from keras_vsr.training.runs import Run, add_run_arguments

    parser = argparse.ArgumentParser()
    add_run_arguments(parser, steps=1, steps_per_epoch=1, lr=1e-3, batch=1, threads=0)
    return Run(parser.parse_args(["--run-dir", str(tmp_path / "run"), "--preset-dir", str(preset_dir)]))


@ONE_BACKEND
def test_saving_a_run_refuses_a_folder_that_is_not_a_preset(tmp_path):
    from tests.support import tiny_srresnet

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"mine")
    with pytest.raises(ValueError, match="photos is a non-empty folder that is not a keras-vsr preset") as info:
        _run(tmp_path, folder)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "run").exists()  # refused before anything is written
    run = _run(tmp_path, tmp_path / "preset")
    run.preset_dir = folder
    with pytest.raises(ValueError, match="not a keras-vsr preset"):
        run.save(tiny_srresnet())
    assert [p.name for p in folder.iterdir()] == ["holiday.jpg"]
    assert (folder / "holiday.jpg").read_bytes() == b"mine"


@ONE_BACKEND
def test_saving_a_run_replaces_the_preset_and_keeps_the_users_files(tmp_path):
    from keras_vsr.models import SRResNetBackbone
    from tests.support import tiny_srresnet

    preset = tmp_path / "preset"
    tiny_srresnet().save_to_preset(str(preset))
    (preset / "README.md").write_text("old card")
    (preset / "notes.txt").write_text("my notes")
    (preset / "samples").mkdir()
    (preset / "samples" / "a.png").write_bytes(b"png")
    (preset / "latest").symlink_to("samples/a.png")
    old_weights = (preset / "model.weights.h5").read_bytes()

    run = _run(tmp_path, preset)
    (run.dir / "log.csv").write_text("epoch,loss\n0,1.0\n")
    run.save(SRResNetBackbone(scale=2, num_blocks=1, filters=4))
    names = sorted(p.name for p in preset.iterdir())
    assert names == ["config.json", "latest", "metadata.json", "model.weights.h5", "notes.txt", "samples",
                     "training_log.csv"]
    assert json.loads((preset / "config.json").read_text())["config"]["scale"] == 2
    assert (preset / "model.weights.h5").read_bytes() != old_weights
    assert (preset / "notes.txt").read_text() == "my notes"
    assert (preset / "samples" / "a.png").read_bytes() == b"png"
    assert os.readlink(preset / "latest") == "samples/a.png"
    assert (preset / "training_log.csv").read_text().startswith("epoch,loss")
    assert _strays(tmp_path) == []


def test_killed_between_the_folder_renames_the_next_write_restores_the_previous_folder(tmp_path):
    folder = tmp_path / "preset"
    folder.mkdir()
    (folder / "config.json").write_text("previous")
    pid = _killed_child(f"""
        import os, signal
        from pathlib import Path
        from keras_vsr.utils import atomic_files
        print(os.getpid(), flush=True)
        replace = os.replace
        def replace_then_die(src, dst):
            replace(src, dst)
            if Path(dst).name.endswith(".old"):  # the previous folder is moved aside: die before the new one goes in
                os.kill(os.getpid(), signal.SIGKILL)
        atomic_files.os.replace = replace_then_die
        atomic_files.write_folder_atomic({str(folder)!r}, lambda tmp: Path(tmp, "config.json").write_text("new"))
    """)
    assert not folder.exists()
    assert sorted(name.split(".")[-1] for name in _strays(tmp_path)) == ["old", "part"]
    assert all(name.startswith(f".preset.{pid}.") for name in _strays(tmp_path))
    remove_stale_temporaries(folder)
    assert (folder / "config.json").read_text() == "previous" and _strays(tmp_path) == []

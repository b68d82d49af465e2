"""Data-parallel training (`--distribute`), SLURM settings and sharded
inference (`--shard K/N`).

The multi-replica checks run the current backend's engine in a subprocess
(`tests/distributed_worker.py`): TensorFlow on 2 logical CPU devices, JAX on
2 host devices (`XLA_FLAGS=--xla_force_host_platform_device_count=2`),
PyTorch as 2 gloo processes under torchrun. Their reference is one process
here.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import main
from keras_vsr.training import distribute
from keras_vsr.utils.shards import parse_shard, shard_of
from tests import distributed_worker as worker
from tests.support import BACKEND, REPO


def _weights_file(path):
    data = np.load(path)
    return [data[f"arr_{i}"] for i in range(len(data.files))]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """`(work, reference)`: the worker's folder after its run on 2 replicas,
    and `{case: weights after one single-process step on the global batch}`."""
    from keras_vsr.training.runs import Run

    work = tmp_path_factory.mktemp("distributed")
    x, y = worker.global_batch()
    np.savez(work / "batch.npz", x=x, y=y)
    reference = {}
    for case in worker.CASES:
        task = worker.build(case)
        np.savez(work / f"init_{case}.npz", **{f"w{i}": w for i, w in enumerate(task.get_weights())})
        task.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
        reference[case] = task.get_weights()
    # A run checkpointed after 2 steps in one process, for the worker to resume.
    Run(worker.tiny_run_options(work / "run", 2)).fit(worker.resume_task(), worker.tiny_dataset())

    env = {**os.environ, "KERAS_BACKEND": BACKEND, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    script = [str(REPO / "tests" / "distributed_worker.py"), str(work)]
    if BACKEND == "torch":
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *script]
        env["OMP_NUM_THREADS"] = "1"
    else:
        command = [sys.executable, *script]
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work, reference


def _ranks(work):
    return sorted(p.name for p in work.glob("out*"))


@pytest.mark.parametrize("case", worker.CASES)
def test_one_distributed_step_equals_one_step_on_the_global_batch(replicas, case):
    work, reference = replicas
    assert _ranks(work) == (["out0", "out1"] if BACKEND == "torch" else ["out0"])
    for rank in _ranks(work):
        after = _weights_file(work / rank / f"{case}.npz")
        assert len(after) == len(reference[case])
        for got, want in zip(after, reference[case]):
            np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_a_distributed_run_resumes_the_checkpoint_of_a_single_process_run(replicas):
    work, _ = replicas
    results = [_weights_file(work / rank / "resumed.npz") for rank in _ranks(work)]
    for steps, *weights in results:
        assert int(steps) == 4  # 2 steps before, 2 resumed
        for got, want in zip(weights, results[0][1:]):
            np.testing.assert_array_equal(got, want)  # every process holds the same model
    log = (work / "run" / "log.csv").read_text().splitlines()
    assert len(log) == 1 + 4  # one header, one line per epoch; rank 0 alone appended
    assert (work / "run" / "preset" / "config.json").exists()


@pytest.fixture
def rank_one(monkeypatch):
    """This process as rank 1 of 2 (no engine started)."""
    from keras_vsr.trainers import distributed

    topology = distributed.Topology("test", 2, 1, 2)
    monkeypatch.setattr(distributed, "start", lambda: topology)
    monkeypatch.setattr(distributed, "topology", lambda: topology)
    return topology


def test_a_process_other_than_rank_0_writes_nothing(tmp_path, rank_one):
    from keras_vsr.training.runs import Run

    run = Run(worker.tiny_run_options(tmp_path / "run", 2, "--distribute", "--preset-dir", str(tmp_path / "p")))
    assert not distribute.is_writer()
    task = worker.resume_task()
    dataset = worker.tiny_dataset()
    assert run.fit(task, dataset) == 2
    assert dataset.batch_size == 2 and dataset.global_batch_size == 4  # its share of the global batch
    run.save(task.backbone)
    run.write_card(task.backbone, {}, "Adam", description="d", usage="u", evaluation="e", licences="l")
    assert list(tmp_path.iterdir()) == []


def test_dataset_shards_draw_their_own_share_and_one_shard_is_the_plain_dataset():
    def batches(shard=None):
        dataset = worker.tiny_dataset()
        if shard:
            dataset.use_shard(*shard)
        return [dataset[i][0] for i in range(3)]

    plain = batches()
    np.testing.assert_array_equal(np.stack(batches((0, 1))), np.stack(plain))  # bit-identical
    first, second = batches((0, 2)), batches((1, 2))
    assert first[0].shape[0] == second[0].shape[0] == 2
    assert not np.array_equal(np.stack(first), np.stack(second))
    np.testing.assert_array_equal(np.stack(first), np.stack(batches((0, 2))))  # reproducible
    for bad in [(2, 2), (-1, 2), (0, 0), (0, 3)]:  # (0, 3): 4 examples do not split 3 ways
        with pytest.raises(ValueError):
            worker.tiny_dataset().use_shard(*bad)


def test_bad_distribution_options_fail_before_any_work(tmp_path):
    from keras_vsr.training.runs import Run

    with pytest.raises(ValueError, match="divisible by the 2 replicas"):
        distribute.check_batch(5, 2)
    with pytest.raises(ValueError, match="add --distribute"):
        Run(worker.tiny_run_options(tmp_path / "run", 2, "--scale-lr"))
    assert not (tmp_path / "run").exists()


def test_a_global_batch_that_does_not_divide_stops_the_run_before_it_writes(tmp_path, rank_one):
    from keras_vsr.training.runs import Run

    args = worker.tiny_run_options(tmp_path / "run", 2, "--distribute", "--batch", "3")
    with pytest.raises(ValueError, match="divisible"):
        Run(args)
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(BACKEND != "torch", reason="torchrun's variables concern PyTorch")
def test_torch_without_torchrun_on_several_gpus_or_with_some_variables_is_refused(monkeypatch):
    import torch

    from keras_vsr.trainers import distributed

    for name in distributed.TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ValueError, match="torchrun --nproc-per-node"):
        distributed.start()
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        distributed.start()
    assert distributed.topology() == distributed.SINGLE


def test_scale_lr_multiplies_every_learning_rate_by_the_replicas(tmp_path):
    args = worker.tiny_run_options(tmp_path, 2, "--distribute", "--scale-lr")
    args.d_lr, args.name = 1e-4, "x_lr"
    assert distribute.scale_learning_rates(args, 4) == {"lr": (1e-2, 4e-2), "d_lr": (1e-4, 4e-4)}
    assert (args.lr, args.d_lr, args.name) == (4e-2, 4e-4, "x_lr")


# --------------------------------------------------------------------- SLURM
def test_slurm_host_lists_expand():
    assert distribute.expand_hostlist("gpu[01-03,07],login") == ["gpu01", "gpu02", "gpu03", "gpu07", "login"]
    assert distribute.expand_hostlist("n[8-10]x") == ["n8x", "n9x", "n10x"]
    assert distribute.expand_hostlist("single") == ["single"]
    for bad in ("n[3-1]", "n[a]", "", "n[1"):
        with pytest.raises(ValueError):
            distribute.expand_hostlist(bad)


def test_slurm_variables_map_to_each_engine():
    job = {"SLURM_PROCID": "1", "SLURM_NTASKS": "2", "SLURM_JOB_NODELIST": "gpu[01-02]"}
    assert distribute.slurm_settings("torch", job, port=1234) == {
        "MASTER_ADDR": "gpu01", "MASTER_PORT": "1234", "NNODES": "2", "NODE_RANK": "1"
    }
    assert distribute.slurm_settings("jax", job) == {
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": "gpu01:29500",
        "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
        "KERAS_DISTRIBUTION_PROCESS_ID": "1",
    }
    config = json.loads(distribute.slurm_settings("tensorflow", job)["TF_CONFIG"])
    assert config == {"cluster": {"worker": ["gpu01:29500", "gpu02:29500"]}, "task": {"type": "worker", "index": 1}}
    # JAX takes one task per device: 4 processes on 2 nodes.
    four = {**job, "SLURM_NTASKS": "4", "SLURM_PROCID": "3"}
    assert distribute.slurm_settings("jax", four)["KERAS_DISTRIBUTION_PROCESS_ID"] == "3"
    for engine, bad in [
        ("torch", four),  # torchrun wants one task per node
        ("jax", {**job, "SLURM_PROCID": "2"}),
        ("jax", {"SLURM_PROCID": "0", "SLURM_NTASKS": "1"}),
        ("mxnet", job),
    ]:
        with pytest.raises(ValueError):
            distribute.slurm_settings(engine, bad)


def test_slurm_env_prints_exports(monkeypatch, capsys):
    monkeypatch.setenv("SLURM_PROCID", "0")
    monkeypatch.setenv("SLURM_NTASKS", "1")
    monkeypatch.setenv("SLURM_JOB_NODELIST", "node7")
    assert main(["slurm-env", "jax", "--port", "4000"]) == 0
    assert "export KERAS_DISTRIBUTION_JOB_ADDRESSES=node7:4000" in capsys.readouterr().out
    monkeypatch.delenv("SLURM_PROCID")
    assert main(["slurm-env", "torch"]) == 2
    assert "SLURM_PROCID" in capsys.readouterr().err


# ---------------------------------------------------------- sharded inference
def test_shard_option_parses_k_of_n():
    assert parse_shard("0/4") == (0, 4) and parse_shard("3/4") == (3, 4)
    for bad in ("3/2", "0/0", "4/4", "-1/2", "1", "a/b", "1/2/3"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    # Fixed by the file's name alone: the same on every machine and rerun.
    assert [shard_of(f"f{i}.png", 3) for i in range(8)] == [1, 1, 2, 0, 0, 0, 0, 0]
    counts = np.bincount([shard_of(f"img{i:05d}.png", 4) for i in range(4000)], minlength=4)
    assert counts.min() > 900  # and about even over many files


def _run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_shards_together_write_exactly_the_files_of_one_run_each_once(tmp_path, tiny_preset, capsys):
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(7):
        Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(src / f"im{i}.png")
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert _run_cli(capsys, "upscale", src, whole, "--preset", tiny_preset)[0] == 0
    written = []
    for k in range(3):
        code, out, _ = _run_cli(capsys, "upscale", src, sharded, "--preset", tiny_preset, "--shard", f"{k}/3")
        assert code == 0
        written += [line.split(" -> ")[1].split(" (")[0] for line in out.splitlines() if " -> " in line]
    assert sorted(os.path.basename(p) for p in written) == sorted(p.name for p in whole.iterdir())  # once each
    for path in whole.iterdir():
        np.testing.assert_array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(sharded / path.name)))
    # A rerun (e.g. after a crash) skips what is complete and writes nothing.
    before = {p.name: p.stat().st_mtime_ns for p in sharded.iterdir()}
    code, out, _ = _run_cli(capsys, "upscale", src, sharded, "--preset", tiny_preset, "--shard", "1/3")
    assert code == 0 and " -> " not in out and "done before" in out
    assert {p.name: p.stat().st_mtime_ns for p in sharded.iterdir()} == before


@pytest.mark.parametrize("shard", ["3/2", "0/0", "x"])
def test_bad_shards_are_one_line_errors_before_any_work(tmp_path, tiny_preset, capsys, image_folder, shard):
    out = tmp_path / "out"
    code, stdout, err = _run_cli(capsys, "upscale", image_folder, out, "--preset", tiny_preset, "--shard", shard)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--shard" in err
    assert not out.exists()


def test_shard_of_a_single_file_is_refused(tmp_path, tiny_preset, capsys, image_folder):
    code, _, err = _run_cli(
        capsys, "upscale", image_folder / "img0.png", tmp_path / "o.png", "--preset", tiny_preset, "--shard", "0/2"
    )
    assert code == 2 and "splits a folder" in err

"""Splitting a set of files over `N` independent jobs (`--shard K/N`).

A file belongs to shard `K` of `N` when a hash of its name, modulo `N`, is
`K`: the split needs no coordination, does not depend on the other files
(adding or removing one moves no other), and is the same on every machine
and every rerun.
"""

import hashlib


def parse_shard(text):
    """'K/N' -> `(K, N)`, with `0 <= K < N` (e.g. SLURM's
    `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` of an array `0-(N-1)`).

    Raises:
        ValueError: for any other text.
    """
    index, sep, count = str(text).partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit()):
        raise ValueError(f"--shard takes K/N with 0 <= K < N, e.g. 0/4. Received: {text!r}")
    index, count = int(index), int(count)
    if count < 1 or index >= count:
        raise ValueError(f"--shard K/N needs N >= 1 and 0 <= K < N. Received: {text!r}")
    return index, count


def shard_of(name, count):
    """The shard, in `[0, count)`, of the file called `name`."""
    digest = hashlib.sha256(str(name).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count

"""Temporary files and folders of atomic writes, and their clean-up.

A result is written under a temporary name beside its destination and
renamed to it only when complete, so the destination is either complete or
as it was. The temporary name, `.NAME.PID.RANDOM<suffix>`, is hidden, names
the destination and the writing process, so that a later write of the same
destination removes what a killed process left (`remove_stale_temporaries`).
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

# The suffix of the previous folder that `write_folder_atomic` moves aside.
_MOVED_ASIDE = ".old"


def _process_is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temporaries(path):
    """Delete the temporary files and folders that atomic writes of `path`
    left beside it when their process died before finishing (killed, power
    cut): those named `.NAME.PID.*` whose process `PID` no longer runs.

    A folder that `write_folder_atomic` had moved aside (`.NAME.PID.*.old`)
    is the previous complete `path`: when `path` is missing (the process died
    between its two renames), that folder is renamed back to `path` instead.

    Returns:
        The list of paths removed (or restored).
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.")
    removed = []
    if not path.parent.is_dir():
        return removed
    for entry in path.parent.iterdir():
        match = pattern.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _process_is_running(int(match.group(1))):
            moved_aside = entry.name.endswith(_MOVED_ASIDE) and entry.is_dir() and not entry.is_symlink()
            if moved_aside and not os.path.lexists(path):
                os.replace(entry, path)
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def atomic_temporary(path, suffix=".part", folder=False):
    """Create the temporary file (or folder) that an atomic write of `path`
    fills before renaming it to `path`, after removing those that dead
    processes left (`remove_stale_temporaries`). Parent folders are created.

    Returns:
        `(fd, Path)` for a file (its open descriptor and path), or the Path
        of a new empty folder when `folder=True`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    prefix = f".{path.name}.{os.getpid()}."
    if folder:
        return Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=path.parent))
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    return fd, Path(name)


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def replace_with_umask(tmp, path):
    """Rename the finished temporary file `tmp` to `path`, with the
    permissions a newly created file gets (mkstemp's files are 0600)."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def write_folder_atomic(folder, write):
    """Fill a new folder with `write(temporary_folder)` and put it in place
    of `folder`, so that `folder` is the complete new one, the one before, or
    (if the process dies between two renames) absent until the next atomic
    write of `folder` puts the one before back (`remove_stale_temporaries`);
    never partly written.

    Args:
        folder: str or `pathlib.Path`, the destination folder.
        write: callable taking the temporary folder (a str) and writing
            every file into it, e.g. `backbone.save_to_preset`.
    """
    folder = Path(folder)
    tmp = atomic_temporary(folder, folder=True)
    old = None
    try:
        write(str(tmp))
        os.chmod(tmp, 0o777 & ~_umask())
        if folder.exists():
            old = atomic_temporary(folder, suffix=_MOVED_ASIDE, folder=True)
            os.replace(folder, old)  # onto an empty folder: allowed
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not folder.exists():
            os.replace(old, folder)
            old = None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

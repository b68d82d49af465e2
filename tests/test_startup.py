"""`keras-vsr --help` and `keras-vsr presets` answer without loading an ML
framework, and the file-only preset catalogue agrees with the registry."""

import json
import subprocess
import sys

import pytest

from keras_vsr.models import list_presets
from keras_vsr.utils.catalogue import bundled_presets

FRAMEWORKS = ("tensorflow", "torch", "jax", "keras", "keras_hub")

PROBE = """
import contextlib, io, json, sys
from keras_vsr.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
""" % (FRAMEWORKS,)


@pytest.mark.parametrize("argv", [["--help"], ["presets"], ["presets", "--json"], ["export", "--help"]])
def test_listing_commands_load_no_framework(argv):
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}, result.stderr[-2000:]


def test_catalogue_matches_the_registry():
    assert bundled_presets() == list_presets()

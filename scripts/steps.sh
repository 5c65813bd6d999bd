# Sourced by scripts/setup.sh and scripts/install.sh: named steps, and on a failure, the step and what to do.
#   step "what is done now" "what to do if it fails";  trap 'on_error NAME "how to go on"' ERR
# shellcheck shell=bash
STEP="start"
HINT=""

step() { STEP="$1"; HINT="${2:-}"; printf '\n==> %s\n' "$STEP"; }

on_error() {
  echo >&2
  echo "$1 FAILED during: $STEP" >&2
  if [ -n "$HINT" ]; then echo "what to do: $HINT" >&2; fi
  echo "$2" >&2
}

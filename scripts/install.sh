#!/usr/bin/env bash
# Install the receptionist appliance as a system service on Debian 12, or remove it. Run as root, through
# scripts/setup.sh --install / --uninstall (or this script directly). What --install makes:
#   - a system user and group 'receptionist': no login shell, no password, its home the data folder;
#   - /opt/receptionist: a copy of this project (owned by root) and its virtual environment, built in place by
#     scripts/setup.sh --venv-only; llama-cpp-python is compiled only if neither an existing
#     /opt/receptionist/.venv nor the wheel cache (yours, or the sudo user's) has it;
#   - /var/lib/receptionist (0700, the service user's): config.toml, business.toml, master.key (0600) and the
#     panel's certificate, made by the service user; existing files and the key are never replaced;
#   - /var/backups/receptionist (0700) for the daily backups;
#   - the units and timers of systemd/ in /etc/systemd/system, and the journal settings of their namespace:
#     receptionist.service and the retention and backup timers enabled (and started where systemd runs); the
#     rewrap timer is installed but enabled only with --rewrap-after-erasure.
# Safe to run again: it replaces the code, keeps the data, the key and the user, and restarts the service.
#
#   scripts/setup.sh --install [--no-apt] [--seal-key] [--rewrap-after-erasure] [--venv DIR] [--root DIR]
#     --no-apt                  skip Debian packages (passed to scripts/setup.sh)
#     --seal-key                keep the master key in an encrypted systemd credential loaded by the units
#                               (scripts/seal-master-key.sh; README: Privacy); the key file stays until you remove it
#     --rewrap-after-erasure    also enable receptionist-rewrap.timer (README: A new master key after erasures)
#     --venv DIR                do not build: /opt/receptionist/.venv becomes a light environment that loads the
#                               packages of DIR, a virtual environment set up by scripts/setup.sh, which must stay
#                               where it is. For tests and development boxes; an installer leaves it out
#     --root DIR                install into DIR as if it were / (a chroot, or a test folder), with --venv: the
#                               user goes into DIR/etc/passwd, units are enabled there, nothing is started
#   scripts/setup.sh --uninstall [--purge] [--root DIR]
#     stops, disables and removes the units, their journal settings and /opt/receptionist; the data, the
#     backups and the user stay
#     --purge                   also delete /var/lib/receptionist (calls, recordings, panel accounts and the
#                               master key, and its sealed credential) and the user; /var/backups/receptionist
#                               stays, readable only with your offline copy of the master key
set -Eeuo pipefail  # -E: the ERR trap below also fires inside functions
umask 022

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE_USER="receptionist"
OPT="/opt/receptionist"
DATA="/var/lib/receptionist"
BACKUPS="/var/backups/receptionist"
UNIT_DIR="/etc/systemd/system"
JOURNAL_CONF="/etc/systemd/journald@receptionist.conf"
CREDENTIAL="/etc/credstore.encrypted/receptionist-master-key"
UNITS=(receptionist.service receptionist-retention.service receptionist-retention.timer
       receptionist-backup.service receptionist-backup.timer receptionist-rewrap.service receptionist-rewrap.timer)
TIMERS=(receptionist-retention.timer receptionist-backup.timer)
ACTION=""
R=""            # the root everything goes under ("" is the real /)
SHARED_VENV=""
PURGE=0
SEAL_KEY=0
SETUP_OPTIONS=()

fail() { echo "setup --${ACTION:-install}: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --install) ACTION="install" ;;
    --uninstall) ACTION="uninstall" ;;
    --purge) PURGE=1 ;;
    --no-apt) SETUP_OPTIONS+=(--no-apt) ;;
    --seal-key) SEAL_KEY=1 ;;
    --rewrap-after-erasure) TIMERS+=(receptionist-rewrap.timer) ;;
    --venv) SHARED_VENV="$(realpath -m "${2:?--venv needs a folder}")"; shift ;;
    --root) R="$(realpath -m "${2:?--root needs a folder}")"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) fail "unknown option '$1' (try scripts/install.sh --help)" ;;
  esac
  shift
done
[ "$R" = "/" ] && R=""
[ -n "$ACTION" ] || fail "say what to do: --install or --uninstall"
[ "$(id -u)" -eq 0 ] ||
  fail "run it as root (sudo scripts/setup.sh --$ACTION): it manages a system user and writes to /opt, /var/lib and /etc"
[ "$PURGE" -eq 0 ] || [ "$ACTION" = "uninstall" ] || fail "--purge goes with --uninstall"
[ -z "$R" ] || [ -n "$SHARED_VENV" ] || [ "$ACTION" = "uninstall" ] ||
  fail "--root needs --venv DIR: a virtual environment built under $R would name $R in its own paths"
[ "$SEAL_KEY" -eq 0 ] || { [ -z "$R" ] && command -v systemd-creds >/dev/null 2>&1; } ||
  fail "--seal-key needs systemd-creds (systemd 250 or newer) and the real root, not --root"
[ -z "$R" ] || [ -f "$R/etc/passwd" ] || fail "$R/etc/passwd is missing: --root takes a system tree (a chroot)"
for tool in useradd setpriv tar; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool was not found: install it (apt-get install passwd util-linux tar)"
done
LIVE=0  # systemd runs this box (PID 1): units can be started, not only enabled
if [ -z "$R" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then LIVE=1; fi
PREFIX=()
if [ -n "$R" ]; then PREFIX=(--prefix "$R"); fi
VENV_PY="$R$OPT/.venv/bin/python"
RECEPTIONIST=("$VENV_PY" "$R$OPT/.venv/bin/receptionist")  # not by its #! line: that names the final path

# shellcheck source=scripts/steps.sh
. "$SOURCE/scripts/steps.sh"
trap 'on_error "setup --$ACTION" "Fix that and run it again; what is done stays done."' ERR

user_ids() { awk -F: -v name="$SERVICE_USER" '$1 == name { print $3 ":" $4 }' "$R/etc/passwd"; }

ensure_user() {
  if [ -z "$(user_ids)" ]; then
    useradd "${PREFIX[@]}" --system --user-group --home-dir "$DATA" --no-create-home \
      --shell /usr/sbin/nologin --comment "Receptionist appliance" "$SERVICE_USER"
  fi
  OWNER="$(user_ids)"
  echo "$SERVICE_USER is uid:gid $OWNER"
}

copy_code() {
  if [ "$SOURCE" = "$(realpath -m "$R$OPT")" ]; then echo "the code is already in $OPT"; return 0; fi
  mkdir -p "$R$OPT"
  chmod 755 "$R$OPT"
  find "$R$OPT" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +  # no stale files of an older version
  tar -C "$SOURCE" --exclude=./.venv --exclude=./data --exclude=./.git --exclude=./build --exclude=__pycache__ \
      --exclude='*.egg-info' --exclude=.mypy_cache --exclude=.ruff_cache --exclude=.pytest_cache -cf - . |
    tar -C "$R$OPT" --no-same-owner --no-same-permissions -xf -
  echo "copied $SOURCE to $R$OPT"
}

build_venv() {
  if [ -f "$R$OPT/.venv/.shared-from" ]; then rm -rf "$R$OPT/.venv"; fi  # an earlier --venv: build a real one
  if [ -z "${RECEPTIONIST_WHEEL_CACHE:-}" ] && [ -n "${SUDO_USER:-}" ]; then  # the one 'scripts/setup.sh' filled
    local cache
    cache="$(getent passwd "$SUDO_USER" | cut -d: -f6)/.cache/receptionist/wheels"
    if compgen -G "$cache/llama-*/llama_cpp_python-*.whl" >/dev/null; then export RECEPTIONIST_WHEEL_CACHE="$cache"; fi
  fi
  # The system's Python first: one under root's home (pyenv) is closed to the service user.
  PATH="/usr/bin:/bin:$PATH" "$R$OPT/scripts/setup.sh" --venv-only "${SETUP_OPTIONS[@]}"
}

share_venv() {
  local venv="$R$OPT/.venv" base site own
  [ -x "$SHARED_VENV/bin/receptionist" ] ||
    fail "--venv $SHARED_VENV has no bin/receptionist: set it up with scripts/setup.sh first, or leave --venv out"
  base="$("$SHARED_VENV/bin/python" -c 'import sys; print(sys._base_executable)')"
  # The system's Python 3.11 where there is one (the same ABI): a venv's own may sit where the service user
  # cannot go, e.g. under root's home (pyenv).
  if [ -x /usr/bin/python3.11 ] && "$base" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    base=/usr/bin/python3.11
  fi
  if [ "$(cat "$venv/.shared-from" 2>/dev/null)" = "$SHARED_VENV with $base" ]; then
    echo "$venv uses $SHARED_VENV already"; return 0
  fi
  rm -rf "$venv"
  site="$("$SHARED_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  "$base" -m venv --without-pip "$venv"
  own="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # The installed code first (it wins over an editable install in DIR), then DIR's packages.
  printf "%s\nimport site; site.addsitedir('%s')\n" "$OPT" "$site" >"$own/receptionist-shared.pth"
  sed "1s|.*|#!$OPT/.venv/bin/python|" "$SHARED_VENV/bin/receptionist" >"$venv/bin/receptionist"
  chmod 755 "$venv/bin/receptionist"
  echo "$SHARED_VENV with $base" >"$venv/.shared-from"
  echo "$venv runs $base with the packages of $SHARED_VENV"
}

as_service_user() {  # in the data folder, with owner-only files, as the user the service runs as
  (cd "$R$DATA" && umask 077 &&
    setpriv --reuid="${OWNER%:*}" --regid="${OWNER#*:}" --clear-groups env HOME="$R$DATA" "$@")
}

make_data() {
  mkdir -p "$R$DATA" "$R$BACKUPS"
  chown -R "$OWNER" "$R$DATA"  # the service's own folder: also files left by a setup run as root
  chown "$OWNER" "$R$BACKUPS"
  chmod 700 "$R$DATA" "$R$BACKUPS"
  as_service_user "${RECEPTIONIST[@]}" --version >/dev/null ||
    fail "the service user cannot run $VENV_PY ($(readlink -f "$VENV_PY")): is that Python, or a folder on the way
to it, closed to other users? Use a system Python 3.11 (apt-get install python3.11), then run this again"
  as_service_user "${RECEPTIONIST[@]}" init --data-dir "$R$DATA"
  local private
  for private in config.toml master.key; do
    if [ -f "$R$DATA/$private" ] && [ ! -L "$R$DATA/$private" ]; then chmod 600 "$R$DATA/$private"; fi
  done
}

install_units() {
  mkdir -p "$R$UNIT_DIR"
  local unit
  for unit in "${UNITS[@]}"; do install -m 644 "$R$OPT/systemd/$unit" "$R$UNIT_DIR/$unit"; done
  install -m 644 "$R$OPT/systemd/journald@receptionist.conf" "$R$JOURNAL_CONF"
  local wanted=(receptionist.service "${TIMERS[@]}")
  if [ "$LIVE" -eq 1 ]; then
    systemctl daemon-reload
    systemctl enable "${wanted[@]}"
    systemctl start "${wanted[@]:1}"
    systemctl restart receptionist.service ||
      echo "receptionist.service did not start: see journalctl --namespace=receptionist -u receptionist"
  elif command -v systemctl >/dev/null 2>&1; then
    systemctl --root="${R:-/}" enable "${wanted[@]}"
  else
    echo "systemctl was not found: enable ${wanted[*]} once systemd is installed"
  fi
}

panel_port() {
  awk -F= '/^\[/ { section = $0 } section == "[web]" && $1 ~ /^port *$/ { gsub(/[ "]/, "", $2); print $2 }' \
    "$R$DATA/config.toml" | head -n 1
}

report_install() {
  local address port link
  address="$(hostname -I 2>/dev/null | awk '{ print $1 }')"
  address="${address:-$(hostname)}"
  port="$(panel_port)"
  link="$(as_service_user "${RECEPTIONIST[@]}" users setup-link --if-no-users --host "$address" \
          --config "$R$DATA/config.toml")"
  local run_as="runuser -u $SERVICE_USER -- env RECEPTIONIST_CONFIG=$DATA/config.toml $OPT/.venv/bin/receptionist"
  printf '\nInstalled%s.\n  code:    %s (its virtual environment: %s/.venv)\n' "${R:+ under $R}" "$OPT" "$OPT"
  printf '  data:    %s (config.toml, business.toml; master.key: keep a copy apart from the data)\n' "$DATA"
  printf '  backups: %s, daily\n  the panel: https://%s:%s/\n' "$BACKUPS" "$address" "${port:-8443}"
  if [ -n "$link" ]; then
    printf '\nNo panel account exists yet. Once the service runs, create the first owner:\n%s\n' "$link"
    printf '(or on the console: %s users add --role owner NAME)\n' "$run_as"
  fi
  if [ "$SEAL_KEY" -eq 1 ]; then
    printf '\nThe units load the sealed key. Once the service runs, copy %s/master.key to your offline key\n' "$DATA"
    printf 'backup and remove it from the box: shred -u %s/master.key\n' "$DATA"
  fi
  if [ "$LIVE" -eq 1 ]; then
    printf '\nThe service: systemctl status receptionist; its log: journalctl --namespace=receptionist\n'
  elif [ -n "$R" ]; then
    printf '\nNothing was started (--root): the units are enabled in %s for its next boot.\n' "$R"
  else
    printf '\nsystemd is not running on this machine (it is not PID 1, as in a container), so the service could not\n'
    printf 'be started. Its units are enabled for the next boot with systemd: then, or now where systemd runs,\n'
    printf '  systemctl start receptionist\nor start it by hand here:\n  %s run\n' "$run_as"
  fi
}

remove_units() {
  local unit present=()
  for unit in "${UNITS[@]}"; do
    if [ -f "$R$UNIT_DIR/$unit" ]; then present+=("$unit"); fi
  done
  if [ ${#present[@]} -gt 0 ] && [ "$LIVE" -eq 1 ]; then
    systemctl disable --now "${present[@]}"
  elif [ ${#present[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl --root="${R:-/}" disable "${present[@]}"
  fi
  for unit in "${UNITS[@]}"; do rm -rf "$R${UNIT_DIR:?}/$unit" "$R$UNIT_DIR/$unit.d"; done  # .d: the key's drop-ins
  rm -f "$R$JOURNAL_CONF"
  if [ "$LIVE" -eq 1 ]; then systemctl daemon-reload; fi
  echo "removed: ${UNITS[*]} and $JOURNAL_CONF"
}

purge_data() {
  rm -rf "$R$DATA" "$R$CREDENTIAL"
  if [ -n "$(user_ids)" ]; then userdel "${PREFIX[@]}" "$SERVICE_USER"; fi
  if grep -q "^$SERVICE_USER:" "$R/etc/group"; then groupdel "${PREFIX[@]}" "$SERVICE_USER"; fi  # no login.defs
  rmdir "$R$BACKUPS" 2>/dev/null || true  # only if empty: backups stay
  echo "deleted $DATA, the master key's credential (if any) and the user $SERVICE_USER"
}

if [ "$ACTION" = "install" ]; then
  step "the service user $SERVICE_USER" "check that useradd works here (it writes $R/etc/passwd)"
  ensure_user
  if [ "$LIVE" -eq 1 ] && systemctl -q is-active receptionist.service; then
    step "stopping receptionist.service for the update" "systemctl status receptionist"
    systemctl stop receptionist.service
  fi
  step "the code in $OPT" "check that $R/opt is a writable folder with free space; then run again"
  copy_code
  if [ -n "$SHARED_VENV" ]; then
    step "the virtual environment $OPT/.venv, from $SHARED_VENV" "set up $SHARED_VENV with scripts/setup.sh first"
    share_venv
  else
    step "the virtual environment $OPT/.venv (scripts/setup.sh --venv-only)" "see setup's message above"
    build_venv
  fi
  step "the data folder $DATA and $BACKUPS" "the message above says which file; fix it, or move $DATA aside"
  make_data
  if [ "$SEAL_KEY" -eq 1 ]; then
    step "sealing the master key into a systemd credential" "check systemd-creds has-tpm2, or leave out --seal-key"
    "$R$OPT/scripts/seal-master-key.sh" --drop-ins "$R$DATA/master.key"
  fi
  step "the units and timers in $UNIT_DIR" "check that $R$UNIT_DIR is writable and systemctl works"
  install_units
  trap - ERR
  report_install
else
  step "removing the units and timers" "check systemctl status receptionist"
  remove_units
  step "removing the code in $OPT" "check that $R$OPT is not in use"
  rm -rf "$R$OPT"
  if [ "$PURGE" -eq 1 ]; then
    step "deleting the data (--purge)" "check that nothing uses $DATA"
    purge_data
  fi
  trap - ERR
  if [ "$PURGE" -eq 0 ]; then
    printf '\nUninstalled. Kept: the data in %s (with the master key), the backups in %s and the user %s.\n' \
      "$DATA" "$BACKUPS" "$SERVICE_USER"
    printf 'Install again to use them, or delete them with: scripts/setup.sh --uninstall --purge\n'
  elif [ -d "$R$BACKUPS" ]; then
    printf '\nUninstalled and purged. The backups in %s stay (they need your copy of the master key).\n' "$BACKUPS"
  else
    printf '\nUninstalled and purged.\n'
  fi
fi

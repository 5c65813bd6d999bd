#!/usr/bin/env bash
# Seal the appliance's master key file into an encrypted systemd credential (systemd 250 or newer): to the TPM2
# chip when the box has one, otherwise to the host's credential key (/var/lib/systemd/credential.secret).
# Run as root; 'scripts/setup.sh --seal-key' and 'scripts/rewrap-after-erasure.sh' call it.
#
#   scripts/seal-master-key.sh [--drop-ins] [--replace] KEY_FILE
#     --drop-ins   also make receptionist.service, -retention and -backup load the credential (systemd drop-ins)
#     --replace    replace a credential that holds another key (after a key rotation)
#   environment: RECEPTIONIST_CREDENTIAL (default /etc/credstore.encrypted/receptionist-master-key),
#                SYSTEMD_UNIT_DIR (default /etc/systemd/system)
#
# The key file is left in place: once the service runs with the credential, copy it to your offline key backup
# and remove it (shred -u KEY_FILE). Nothing is changed unless the new credential decrypts to the key file.
set -euo pipefail

NAME="receptionist-master-key"
CREDENTIAL="${RECEPTIONIST_CREDENTIAL:-/etc/credstore.encrypted/$NAME}"
UNIT_DIR="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
DROP_INS=0
REPLACE=0

fail() { echo "seal-master-key: $*" >&2; exit 1; }

while [ $# -gt 1 ]; do
  case "$1" in
    --drop-ins) DROP_INS=1 ;;
    --replace) REPLACE=1 ;;
    *) fail "unknown option '$1' (see the header of $0)" ;;
  esac
  shift
done
[ $# -eq 1 ] || fail "give the master key file, e.g. $0 /var/lib/receptionist/master.key"
KEY="$1"

command -v systemd-creds >/dev/null 2>&1 ||
  fail "systemd-creds was not found: sealing needs systemd 250 or newer (Debian 12 has it); keep the key file instead"
[ -f "$KEY" ] || fail "there is no master key file at $KEY: run 'receptionist init' first, or give the right path"

holds_key() { systemd-creds decrypt --name="$NAME" "$1" - 2>/dev/null | cmp -s - "$KEY"; }

if [ -f "$CREDENTIAL" ] && holds_key "$CREDENTIAL"; then
  echo "$CREDENTIAL already holds the master key $KEY"
elif [ -f "$CREDENTIAL" ] && [ "$REPLACE" -eq 0 ]; then
  fail "$CREDENTIAL already holds another key (the one your data may need): move it away first; nothing was changed"
else
  if systemd-creds has-tpm2 >/dev/null 2>&1; then
    WITH="tpm2"
  else
    WITH="host"  # no TPM2: the host key is a file on this disk, so this protects copies of the data folder only
    systemd-creds setup >/dev/null 2>&1 || true
  fi
  install -d -m 700 "$(dirname "$CREDENTIAL")"
  systemd-creds encrypt --with-key="$WITH" --name="$NAME" "$KEY" "$CREDENTIAL.new"
  holds_key "$CREDENTIAL.new" || { rm -f "$CREDENTIAL.new"; fail "the new credential does not decrypt to $KEY; nothing was changed"; }
  mv -f "$CREDENTIAL.new" "$CREDENTIAL"
  echo "sealed $KEY into $CREDENTIAL (with the $WITH key)"
fi

if [ "$DROP_INS" -eq 1 ]; then
  for unit in receptionist.service receptionist-retention.service receptionist-backup.service; do
    install -d -m 755 "$UNIT_DIR/$unit.d"
    printf '[Service]\nLoadCredentialEncrypted=%s:%s\n' "$NAME" "$CREDENTIAL" >"$UNIT_DIR/$unit.d/master-key-credential.conf"
    echo "wrote $UNIT_DIR/$unit.d/master-key-credential.conf"
  done
  systemctl daemon-reload 2>/dev/null || echo "run 'systemctl daemon-reload' once systemd runs"
fi

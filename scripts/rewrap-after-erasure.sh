#!/usr/bin/env bash
# After callers were erased, give the call database a new master key, so the erased callers' wrapped data keys that
# old disk blocks (or old copies of the database) may still hold cannot be unwrapped with the key in use.
# Run as root by receptionist-rewrap.service (daily timer; 'scripts/setup.sh --rewrap-after-erasure' installs it).
#
# It does nothing unless 'receptionist keys due' says callers were erased since the last rotation. Then it stops
# the service (calls in progress are cut: the timer runs at night), decrypts the systemd credential to the key file
# if the key is kept in one, rotates ('keys rotate'), re-seals the credential, starts the service again, makes a
# backup under the new key, and only then deletes the previous key ('keys confirm') and, with a credential, the key
# file. Backups made before the rotation then restore only with a copy of the previous key kept elsewhere, and your
# offline copy of the master key must be refreshed after each run (README: Privacy).
#   environment: RECEPTIONIST_DATA (default /var/lib/receptionist; its config.toml and master.key are used),
#   RECEPTIONIST_KEY, RECEPTIONIST_BACKUPS (default /var/backups/receptionist), RECEPTIONIST_USER (receptionist),
#   RECEPTIONIST_BIN (/opt/receptionist/.venv/bin/receptionist), RECEPTIONIST_CREDENTIAL, RECEPTIONIST_SERVICE
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="${RECEPTIONIST_DATA:-/var/lib/receptionist}"
KEY="${RECEPTIONIST_KEY:-$DATA/master.key}"
BACKUPS="${RECEPTIONIST_BACKUPS:-/var/backups/receptionist}"
SERVICE_USER="${RECEPTIONIST_USER:-receptionist}"
APP="${RECEPTIONIST_BIN:-/opt/receptionist/.venv/bin/receptionist}"
CREDENTIAL="${RECEPTIONIST_CREDENTIAL:-/etc/credstore.encrypted/receptionist-master-key}"
SERVICE="${RECEPTIONIST_SERVICE:-receptionist.service}"
export RECEPTIONIST_CREDENTIAL="$CREDENTIAL"
STEP="checking for erasures"
WAS_ACTIVE=0
DECRYPTED=0

app() { runuser -u "$SERVICE_USER" -- "$APP" "$@" --config "$DATA/config.toml"; }
refuse() { echo "rewrap: $*; nothing was changed" >&2; exit 1; }

finish() {
  local status=$?
  if [ "$WAS_ACTIVE" -eq 1 ]; then systemctl start "$SERVICE" || echo "rewrap: run 'systemctl start $SERVICE'" >&2; fi
  if [ "$status" -ne 0 ] && [ "$STEP" != "checking" ]; then
    echo "rewrap FAILED while $STEP; the error above says why and what to do." >&2
    if [ "$DECRYPTED" -eq 1 ] && [ -f "$KEY" ]; then
      echo "The key file $KEY is still on disk beside the credential: once the appliance starts with it, seal it" \
           "($HERE/seal-master-key.sh --replace $KEY), run 'receptionist keys confirm', then shred -u $KEY" >&2
    fi
  fi
}
trap finish EXIT

STEP="checking"
set +e
app keys due
DUE=$?
set -e
[ "$DUE" -eq 1 ] && exit 0
[ "$DUE" -eq 0 ] || refuse "cannot tell whether callers were erased (the error is above)"
[ ! -e "$KEY.old" ] || refuse "an earlier key rotation is not confirmed ($KEY.old exists): make a backup and run" \
  "'receptionist keys confirm' (or 'receptionist keys recover' if it was interrupted)"
[ -d "$BACKUPS" ] || refuse "the backup folder $BACKUPS does not exist: create it (see receptionist-backup.service)" \
  "or set RECEPTIONIST_BACKUPS"
if [ -f "$CREDENTIAL" ] && [ -e "$KEY" ] &&
   ! systemd-creds decrypt --name=receptionist-master-key "$CREDENTIAL" - | cmp -s - "$KEY"; then
  refuse "$KEY is not the key sealed in $CREDENTIAL: move it away (an older database or backup may need it)"
fi

STEP="stopping $SERVICE"
systemctl is-active --quiet "$SERVICE" && WAS_ACTIVE=1
systemctl stop "$SERVICE"
if [ -f "$CREDENTIAL" ]; then
  STEP="decrypting the credential $CREDENTIAL to $KEY"
  systemd-creds decrypt --name=receptionist-master-key "$CREDENTIAL" "$KEY.rewrap"
  chown "$SERVICE_USER:" "$KEY.rewrap" && chmod 600 "$KEY.rewrap" && mv -f "$KEY.rewrap" "$KEY"
  DECRYPTED=1
fi
STEP="rotating the master key"
app keys rotate
if [ -f "$CREDENTIAL" ]; then
  STEP="sealing the new master key into $CREDENTIAL"
  "$HERE/seal-master-key.sh" --replace "$KEY"
fi
STEP="starting $SERVICE"
[ "$WAS_ACTIVE" -eq 0 ] || systemctl start "$SERVICE"
STEP="making a backup under the new key in $BACKUPS"
app backup --out "$BACKUPS"
STEP="deleting the previous key"
app keys confirm
if [ "$DECRYPTED" -eq 1 ]; then shred -u "$KEY"; fi
STEP="done"
echo "rewrap: the master key is new; refresh your offline copy of it (backups made from now on need it)"

#!/usr/bin/env bash
# Call the receptionist with baresip from a fresh machine: writes a throw-away baresip folder (a local
# account that never registers, the codecs the box speaks) and dials the box; you talk with your headset.
#
#   scripts/call.sh [options] [ADDRESS]
#   scripts/call.sh --answer LISTEN [options]
#
#   ADDRESS          host, host:port or sip:user@host:port (default 127.0.0.1:5060; user: reception)
#   --answer LISTEN  be a team member's softphone instead: answer every call to LISTEN (host:port or
#                    sip:user@host:port; user: ann), e.g. 127.0.0.1:5070 for a profile target
#                    "sip:ann@127.0.0.1:5070"; you hear the receptionist's brief and say "yes" or press 1
#   --audio DEVICE   baresip sound device for microphone and speaker, e.g. alsa,default or alsa,plughw:1
#                    (also $CALL_AUDIO); "none" calls without one. Default: alsa,default when this
#                    machine has a sound card, otherwise none
#   --wav FILE       speak FILE (a 16-bit mono WAV at 8000, 16000 or 48000 Hz) instead of the microphone
#   --wait N         with --wav: listen N seconds (the greeting, or the brief) before speaking it (default 5)
#   --seconds N      hang up and quit after N seconds (default: until you press q; 60 without a microphone)
#   --record FILE    save what you heard (the box's voice) as a WAV
#   -h, --help       this text
#
# Keys during the call: digits send key presses, b hangs up, q quits.
set -euo pipefail

ADDRESS="127.0.0.1:5060"
AUDIO="${CALL_AUDIO:-}"
WAV=""
SECONDS_LIMIT=""
WAIT=5
RECORD=""
ANSWER=""

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
fail() { echo "call.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --audio) [ $# -ge 2 ] || fail "--audio needs a device"; AUDIO="$2"; shift ;;
    --wav) [ $# -ge 2 ] || fail "--wav needs a file"; WAV="$2"; shift ;;
    --seconds) [ $# -ge 2 ] || fail "--seconds needs a number"; SECONDS_LIMIT="$2"; shift ;;
    --wait) [ $# -ge 2 ] || fail "--wait needs a number"; WAIT="$2"; shift ;;
    --record) [ $# -ge 2 ] || fail "--record needs a file"; RECORD="$2"; shift ;;
    --answer) [ $# -ge 2 ] || fail "--answer needs an address to listen on, e.g. 127.0.0.1:5070"; ANSWER="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) fail "unknown option '$1' (try --help)" ;;
    *) ADDRESS="$1" ;;
  esac
  shift
done

command -v baresip >/dev/null 2>&1 ||
  fail "baresip is not installed: apt-get install baresip-core (or run scripts/setup.sh --dev as root)"
case "$SECONDS_LIMIT" in *[!0-9]*|0*) fail "--seconds takes a whole number of seconds, at least 1" ;; esac
case "$WAIT" in ''|*[!0-9]*) fail "--wait takes a whole number of seconds" ;; esac
[ -z "$WAV" ] || [ -r "$WAV" ] || fail "cannot read $WAV"

# The address to dial (a bare host or host:port calls the user "reception"), or with --answer the one to
# answer on (user "ann").
if [ -n "$ANSWER" ]; then ADDRESS="$ANSWER"; USER_PART=ann; else USER_PART=reception; fi
case "$ADDRESS" in
  sip:*) URI="$ADDRESS" ;;
  *@*) URI="sip:$ADDRESS" ;;
  *) URI="sip:$USER_PART@$ADDRESS" ;;
esac
HOST="${URI#sip:}"; HOST="${HOST#*@}"; HOST="${HOST%%;*}"; HOST="${HOST%:*}"
if [ -n "$ANSWER" ]; then
  LISTEN="${URI#sip:}"; LISTEN="${LISTEN#*@}"; LISTEN="${LISTEN%%;*}"
  USER_PART="${URI#sip:}"; USER_PART="${USER_PART%@*}"
  case "$LISTEN" in
    *:*[!0-9]*|*:) fail "--answer $ANSWER: give host:port, e.g. 127.0.0.1:5070" ;;
    *:*) ;;
    *) fail "--answer $ANSWER: give the port to answer on too, e.g. $LISTEN:5070" ;;
  esac
fi

# baresip's modules folder differs between distributions; $BARESIP_MODULES overrides.
MODULES="${BARESIP_MODULES:-}"
if [ -z "$MODULES" ]; then
  for candidate in /usr/lib/baresip/modules /usr/lib/*/baresip/modules /usr/local/lib/baresip/modules; do
    if [ -e "$candidate/account.so" ]; then MODULES="$candidate"; break; fi
  done
fi
[ -n "$MODULES" ] || fail "cannot find baresip's modules (account.so); set BARESIP_MODULES to their folder"

if [ -z "$AUDIO" ]; then
  if grep -q '^ *[0-9]' /proc/asound/cards 2>/dev/null; then AUDIO="alsa,default"; else AUDIO="none"; fi
fi
if [ "$AUDIO" != "none" ] && [ ! -e "$MODULES/${AUDIO%%,*}.so" ]; then
  fail "no baresip module '${AUDIO%%,*}' in $MODULES (--audio MODULE,DEVICE, e.g. alsa,default)"
fi

FOLDER="$(mktemp -d)"
# sndfile names its recordings in a 128-byte buffer, so keep the folder's path short.
if [ ${#FOLDER} -gt 60 ]; then rmdir "$FOLDER"; FOLDER="$(mktemp -d /tmp/call.XXXXXX)"; fi
finish() {
  if [ -n "$RECORD" ]; then
    heard="$(find "$FOLDER/heard" -name '*-dec.wav' 2>/dev/null | sort | tail -n 1)"
    if [ -n "$heard" ]; then cp "$heard" "$RECORD"; else echo "call.sh: nothing heard to record" >&2; fi
  fi
  rm -rf "$FOLDER"
}
trap finish EXIT

# Little-endian integers and WAV fields, in plain shell.
le() { # VALUE BYTES: the value as BYTES little-endian bytes
  local value="$1" count="$2"
  while [ "$count" -gt 0 ]; do
    # shellcheck disable=SC2059  # the format is an octal escape built here
    printf "\\$(printf '%03o' $((value & 255)))"
    value=$((value >> 8)); count=$((count - 1))
  done
}
read_le() { # FILE OFFSET BYTES: the little-endian unsigned integer there
  od -An -tu1 -j "$2" -N "$3" "$1" | awk '{ for (i = NF; i >= 1; i--) v = v * 256 + $i } END { print v + 0 }'
}
read_tag() { dd if="$1" bs=1 skip="$2" count=4 2>/dev/null; }
wav_header() { # RATE DATA_BYTES: a 16-bit mono PCM WAV header
  printf 'RIFF'; le $(($2 + 36)) 4; printf 'WAVEfmt '; le 16 4; le 1 2; le 1 2
  le "$1" 4; le $(($1 * 2)) 4; le 2 2; le 16 2; printf 'data'; le "$2" 4
}

# The caller's voice without a microphone: silence while the greeting plays, the WAV, then silence until
# the call ends (baresip's file source hangs up when the file runs out, so it lasts past --seconds).
RATE=8000; DATA_AT=0; DATA_BYTES=0
if [ -n "$WAV" ]; then
  if [ "$(read_tag "$WAV" 0)" != RIFF ] || [ "$(read_tag "$WAV" 8)" != WAVE ]; then fail "$WAV is not a WAV file"; fi
  at=12; size="$(wc -c < "$WAV")"
  while [ $((at + 8)) -le "$size" ]; do
    tag="$(read_tag "$WAV" "$at")"; length="$(read_le "$WAV" $((at + 4)) 4)"
    if [ "$tag" = "fmt " ]; then
      format="$(read_le "$WAV" $((at + 8)) 2)"; channels="$(read_le "$WAV" $((at + 10)) 2)"
      RATE="$(read_le "$WAV" $((at + 12)) 4)"; bits="$(read_le "$WAV" $((at + 22)) 2)"
      if [ "$format" != 1 ] || [ "$channels" != 1 ] || [ "$bits" != 16 ]; then
        fail "$WAV must be 16-bit mono PCM (convert it: sox $WAV -c 1 -b 16 -r 16000 voice.wav)"
      fi
      case "$RATE" in
        8000|16000|48000) ;;
        *) fail "$WAV is at $RATE Hz; use 8000, 16000 or 48000 Hz (sox $WAV -r 16000 voice.wav)" ;;
      esac
    elif [ "$tag" = data ]; then
      DATA_AT=$((at + 8)); DATA_BYTES="$length"; break
    fi
    at=$((at + 8 + length + length % 2))
  done
  [ "$DATA_AT" -gt 0 ] || fail "$WAV has no audio data"
fi
if [ "$AUDIO" = none ] || [ -n "$WAV" ]; then
  [ -n "$SECONDS_LIMIT" ] || SECONDS_LIMIT=60
  [ -n "$WAV" ] || WAIT=0
  BEFORE=$((WAIT * RATE * 2)); AFTER=$(((SECONDS_LIMIT + 5) * RATE * 2))
  {
    wav_header "$RATE" $((BEFORE + DATA_BYTES + AFTER))
    head -c "$BEFORE" /dev/zero
    if [ "$DATA_BYTES" -gt 0 ]; then tail -c +$((DATA_AT + 1)) "$WAV" | head -c "$DATA_BYTES"; fi
    head -c "$AFTER" /dev/zero
  } > "$FOLDER/voice.wav"
fi

{
  echo "module_path $MODULES"
  # Loopback calls come from loopback (else baresip uses its LAN address); otherwise baresip takes its
  # default address. Either way any free port, so a box on this machine keeps 5060.
  if [ -n "$ANSWER" ]; then echo "sip_listen $LISTEN"
  else case "$HOST" in 127.*|localhost) echo "sip_listen 127.0.0.1:0" ;; esac
  fi
  echo "module g722.so"
  echo "module g711.so"
  if [ -f "$FOLDER/voice.wav" ]; then
    printf 'module aufile.so\naudio_source aufile,%s\nausrc_srate %s\nausrc_channels 1\n' "$FOLDER/voice.wav" "$RATE"
  fi
  if [ "$AUDIO" != none ]; then
    printf 'module %s.so\naudio_player %s\naudio_alert %s\n' "${AUDIO%%,*}" "$AUDIO" "$AUDIO"
    [ -f "$FOLDER/voice.wav" ] || echo "audio_source $AUDIO"
  fi
  if [ -n "$RECORD" ]; then
    mkdir "$FOLDER/heard"; printf 'module sndfile.so\nsnd_path %s\n' "$FOLDER/heard"
  fi
  if [ -t 0 ]; then echo "module stdio.so"; fi  # keys, when someone is at the keyboard
  echo "module_app account.so"
  echo "module_app menu.so"
} > "$FOLDER/config"
if [ -n "$ANSWER" ]; then
  # The team member's softphone: an account for the target's user that picks up every call at once.
  echo "<sip:$USER_PART@$HOST>;regint=0;answermode=auto" > "$FOLDER/accounts"
  echo "answering calls to $URI (audio: $AUDIO${WAV:+, voice from $WAV}${SECONDS_LIMIT:+, quitting after $SECONDS_LIMIT s})"
  set -- baresip -f "$FOLDER"
else
  # A local anonymous account: calls go straight to the box and nothing registers anywhere.
  echo "<sip:anonymous@127.0.0.1>;regint=0" > "$FOLDER/accounts"
  echo "calling $URI (audio: $AUDIO${WAV:+, voice from $WAV}${SECONDS_LIMIT:+, hanging up after $SECONDS_LIMIT s})"
  set -- baresip -f "$FOLDER" -e "/dial $URI"
fi
if [ -n "$SECONDS_LIMIT" ]; then set -- "$@" -t "$SECONDS_LIMIT"; fi
"$@"

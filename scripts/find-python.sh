#!/usr/bin/env bash
# Print the path of a Python interpreter: `find-python.sh app` (3.11 or newer) or `find-python.sh rasa` (3.10).
# Fails with one clear line when none can be found or installed.
set -euo pipefail
want=${1:?usage: find-python.sh app|rasa}

version_ok() {  # $1 = interpreter, $2 = python snippet that must print "ok"
  [ -x "$(command -v "$1" 2>/dev/null)" ] && [ "$("$1" -c "$2" 2>/dev/null)" = ok ]
}

if [ "$want" = rasa ]; then
  check='import sys; print("ok" if sys.version_info[:2] == (3, 10) else "no")'
  for candidate in python3.10 /root/.pyenv/versions/3.10.*/bin/python "$HOME"/.pyenv/versions/3.10.*/bin/python; do
    if version_ok "$candidate" "$check"; then command -v "$candidate"; exit 0; fi
  done
  if command -v uv >/dev/null 2>&1 && uv python install 3.10 >&2; then
    found=$(uv python find 3.10) && version_ok "$found" "$check" && { echo "$found"; exit 0; }
  fi
  echo "error: Rasa 3.6 needs Python 3.10: install python3.10 (or pyenv 3.10.x, or uv) and run make setup again" >&2
  exit 1
fi

check='import sys; print("ok" if sys.version_info >= (3, 11) else "no")'
for candidate in python3.11 python3.12 python3.13 python3; do
  if version_ok "$candidate" "$check"; then command -v "$candidate"; exit 0; fi
done
echo "error: Yoldosh needs Python 3.11 or newer: install python3.11 and run make setup again" >&2
exit 1

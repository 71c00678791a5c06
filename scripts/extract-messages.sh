#!/usr/bin/env bash
# Extract every user-visible string (Python code and Rasa domain responses) into a gettext template.
# Usage: scripts/extract-messages.sh OUTPUT.pot   (make catalogs writes content/locale/yoldosh.pot)
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:?usage: extract-messages.sh OUTPUT.pot}
.venv/bin/pybabel extract --mapping content/babel.cfg --keywords N_ --keywords ngettext:1,2 \
  --project Yoldosh --copyright-holder Yoldosh --msgid-bugs-address "" --no-location --sort-output \
  --add-comments TRANSLATORS: --output-file "$output" bot services nlu >/dev/null

"""Well-known project paths (services layer): where content, catalogs and runtime files live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("YOLDOSH_HOME", Path(__file__).resolve().parent.parent))
CONTENT_DIR = PROJECT_ROOT / "content"
DIRECTORY_DIR = CONTENT_DIR / "directory"
LOCALE_DIR = CONTENT_DIR / "locale"
VAR_DIR = PROJECT_ROOT / "var"
NLU_DIR = PROJECT_ROOT / "nlu"

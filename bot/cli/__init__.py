"""The `yoldosh` command line (bot layer): run, chat, db, content."""

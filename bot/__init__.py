"""Yoldosh transports: Telegram, console chat and the `yoldosh` command line."""

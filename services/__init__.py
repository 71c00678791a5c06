"""Yoldosh domain layer: directory, booking, escalation, users, i18n and storage; no transport imports."""

"""Telegram transport (bot layer): python-telegram-bot application, handlers and rendering."""

"""The counselors 'desk in a Telegram forum supergroup: topics, cards, relays, re-alerts."""

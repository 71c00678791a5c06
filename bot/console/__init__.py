"""Console transport (bot layer): talk to Yoldosh in a terminal as a Telegram user would."""

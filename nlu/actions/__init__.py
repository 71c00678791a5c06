"""Custom actions and the NLG endpoint (transport layer, runs in .venv): thin calls into `services`."""

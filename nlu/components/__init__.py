"""Custom Rasa pipeline components; imported by Rasa in .venv-rasa (Python 3.10), never by the application."""

"""Yoldosh's Rasa project: pipeline components (run by Rasa) and custom actions (run by the action server)."""

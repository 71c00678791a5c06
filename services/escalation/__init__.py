"""Escalation (services layer): cases handed to human counselors and the counselors themselves."""

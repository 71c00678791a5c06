"""Audit log (services layer): who did what to which case or record, and when."""

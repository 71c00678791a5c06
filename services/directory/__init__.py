"""Service directory (services layer): categories, providers, their places and opening hours."""

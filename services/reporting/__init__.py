"""The supervisor report (services layer): aggregated, anonymised statistics of a period, small counts suppressed."""

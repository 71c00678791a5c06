"""Privacy (services layer): the retention purge, a person's copy of their data, and erasure everywhere."""

"""Emergency contacts (services layer): the numbers to call now, per country, from content/emergency."""

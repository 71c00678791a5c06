"""Content (services layer): the YAML service directory under content/, its schema, checks and loading."""

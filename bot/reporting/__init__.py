"""The supervisor report's rendering (bot layer): Markdown and PNG charts of `services.reporting`'s statistics."""

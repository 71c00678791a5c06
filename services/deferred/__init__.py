"""Questions Rasa could not answer when they came, kept to be answered once it is back (services layer)."""

"""Rasa plumbing (bot layer): train the model when its inputs change, start the servers, talk REST."""

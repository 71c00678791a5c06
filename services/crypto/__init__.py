"""Encryption at rest (services layer): free text a person wrote is stored only as authenticated ciphertext."""

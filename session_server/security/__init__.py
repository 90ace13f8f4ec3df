"""PHI protection: field encryption, password hashing, tokens and the audit chain."""

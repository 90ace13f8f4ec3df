"""Shared vocabulary of the session companion: settings, errors and event payloads.

Every part of the product imports from here; this package imports none of them.
"""

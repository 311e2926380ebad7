"""Scholarly interoperability: DOIs, Crossref deposits, JATS, OAI-PMH and the publish gate.

Every document is built with lxml and validated against the official schemas
(see schemas.py for where they are found).
"""

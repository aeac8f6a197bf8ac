"""Orgdesk: delegated administration for B2B customer identity."""

__version__ = "0.1.0"

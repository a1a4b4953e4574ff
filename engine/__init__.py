"""Segue engine."""

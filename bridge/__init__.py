"""Segue bridge."""

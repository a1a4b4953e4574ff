"""Segue trainer."""

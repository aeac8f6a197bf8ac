"""Reusable test machinery (batteries, worlds) shared by the test suite."""

"""Test doubles of servers that cannot be installed on the test hosts (see ollama_double.py)."""

"""Extractive lead summaries, the centrality method and keywords."""

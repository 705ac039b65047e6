"""Bytes → text → articles: decoding, normalization, cleaning, article splitting, sentences,
tokens and the one reader of inputs. Pure Python: nothing here imports numpy."""

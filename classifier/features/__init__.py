"""Articles → numbers: word counts, character n-gram counts, TF-IDF feature space and
taxonomy term hits (numpy/scipy; no scikit-learn)."""

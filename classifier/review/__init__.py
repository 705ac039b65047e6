"""The correction loop: what to label next (``strategies``) and the review page (``app``).

``corrections`` owns the corrections file; ``session`` the review state (queue, saves, undo,
retrain); ``inputs`` reads articles the way ``label`` does.
"""

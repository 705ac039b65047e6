"""Fitting theme models from labelled data: readers, fitting, cross-validation, thresholds,
evaluation. The only package that imports scikit-learn."""

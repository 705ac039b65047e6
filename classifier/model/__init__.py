"""The theme model: scores, thresholds and evidence; the taxonomy; model directories on disk
(load, verify, save) and the catalogue of models. Prediction needs no scikit-learn."""

"""Articles → labelled records: options, the record type, analysis of a batch, the batch
runner with its tasks, output formats and ``--resume``."""

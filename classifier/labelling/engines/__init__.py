"""Engines that run labelling tasks and hand back their results in input order.

``local`` runs them in this process or a pool of forked worker processes; ``dask`` on a Dask
cluster (a local one, or one at ``--scheduler``; needs ``pip install 'classifier[dask]'``).
The runner (``classifier.labelling.runner``) writes what an engine yields, in input order.
"""

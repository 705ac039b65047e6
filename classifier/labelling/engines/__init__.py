"""Engines that run labelling tasks and hand back their results in input order.

``local`` runs them in this process or a pool of forked worker processes. An engine is a
function ``(tasks, config, stop) -> iterator of TaskResult``; the runner writes what it yields.
"""

"""The HTTP service: FastAPI app, the reloadable model holder, request limits, the runner."""

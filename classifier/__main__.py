"""``python -m classifier`` runs the command-line interface."""

from __future__ import annotations

from classifier.cli.app import main

if __name__ == "__main__":
    main()

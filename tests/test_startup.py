"""What a one-page ``classify`` loads (issue 14): nothing of training, serving or scale-out."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT, seed_path

# scipy: 0.3 s here, twice numpy (prediction computes on numpy alone); numpy.ma: imported by
# a plain np.unique (~20 ms).
HEAVY = ("sklearn", "scipy", "numpy.ma", "jieba", "fastapi", "uvicorn", "starlette",
         "pydantic", "dask", "distributed", "fsspec", "jinja2", "joblib", "rich")


def test_one_page_classify_imports_no_heavy_module() -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "sys.argv = ['classifier', 'classify', sys.argv[1], '--format', 'json']\n"
        "from classifier.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} | set(sys.modules))))\n")
    out = subprocess.run([sys.executable, "-c", code, str(seed_path("002"))],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout))
    assert "numpy" in loaded and "rjieba" in loaded  # it did classify
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))

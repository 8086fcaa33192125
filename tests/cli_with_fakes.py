"""`mock-interview` with the tests' fake graders, for tests that start server and worker processes.

Run as `python -m tests.cli_with_fakes serve ...` from the project folder.
"""

from __future__ import annotations

import sys

from app.cli import main
from tests.fakes import FAKE_GRADERS

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], graders=FAKE_GRADERS))

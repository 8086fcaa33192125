"""mock-interview: practise ML / AI engineering interviews from your own notes."""

from pathlib import Path

__version__ = "0.1.0"

# templates/, static/ and migrations/ live at the top of the repository, beside app/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

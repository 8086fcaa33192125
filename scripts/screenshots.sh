#!/usr/bin/env bash
# Regenerate docs/screenshots/: every page of tests/pages.py at desktop (1200x900) and phone
# (390x844) sizes, light and dark, named PAGE-SIZE-THEME.png, by the browser page walk.
set -euo pipefail
cd "$(dirname "$0")/.."
export UPDATE_SCREENSHOTS=1 REQUIRE_BROWSER=1 PYTHONPATH="$PWD"
SCREENSHOT_DIR="$(mktemp -d)"
export SCREENSHOT_DIR
trap 'rm -rf "$SCREENSHOT_DIR"' EXIT
"${PYTHON:-.venv/bin/python}" -m pytest -q -p no:cacheprovider tests/test_page_walk.py::test_every_page_is_clean tests/test_page_walk.py::test_every_signed_out_page_is_clean tests/test_browser.py
echo "screenshots written to docs/screenshots/"

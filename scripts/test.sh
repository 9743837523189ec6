#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run everything CI runs: lint, format check, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/black --check --quiet .
set +e
# Two workers, one test file each at a time (module fixtures stay in one process);
# PYTEST_WORKERS=0 runs everything in this process.
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: failing on purpose" >&2
    exit 1
fi
exit "$status"

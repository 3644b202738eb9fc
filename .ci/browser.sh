#!/usr/bin/env bash
# Browser tests of the web client: Debian's Chromium driven by Playwright
# (Python). Nothing downloads a browser of its own: Playwright is pointed at the
# installed Chromium. Uses the debug binary that `cargo test` built; screenshots
# of every scenario go to target/browser-shots/.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null
fi
if ! python3 -c "import playwright" >/dev/null 2>&1; then
    python3 -m pip install --quiet playwright ||
        python3 -m pip install --quiet --break-system-packages playwright
fi
[ -x target/debug/veza ] || cargo build
CHROMIUM="$(command -v chromium)" python3 tests/browser/client_test.py target/debug/veza --shots target/browser-shots

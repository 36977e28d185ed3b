#!/usr/bin/env bash
# Shubbak developer entry point: installs what is missing, then runs the demo or the tests.
#   ./dev.sh demo   install, create the demo centre (SQLite, virtual printer) and start it
#   ./dev.sh test   install, then ruff, mypy and the whole test suite (SQLite and PostgreSQL), in parallel
#   ./dev.sh i18n   extract the message ids from the code, check and compile the catalogues
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(python3-venv postgresql libzbar0 poppler-utils fonts-dejavu-core
              libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
              xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
              libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxkbcommon-x11-0
              libusb-1.0-0   # pyusb's backend, for usb:// printers
              gettext   # msgfmt --check on the catalogues
              chromium)  # the central report page is tested in headless Chromium (/usr/bin/chromium)

need_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    echo "installing system packages: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# axe-core, the accessibility audit the portal's browser tests inject (tests/helpers/browser.py)
AXE_VERSION=4.14.1
if [ ! -f .venv/node_modules/axe-core/package.json ] || ! grep -q "\"version\": \"$AXE_VERSION\"" .venv/node_modules/axe-core/package.json; then
    if ! command -v npm >/dev/null; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    mkdir -p .venv
    npm install --prefix .venv --no-save --no-audit --no-fund --no-package-lock --silent "axe-core@$AXE_VERSION"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test]"
    touch "$stamp"
fi

compile_catalogues() {  # .po -> .mo (the app also compiles a stale catalogue in memory at start)
    .venv/bin/pybabel -q compile -d resources/locale -D shubbak --statistics 2>/dev/null ||
        .venv/bin/pybabel compile -d resources/locale -D shubbak
}

case "${1:-}" in
    i18n)
        shift
        .venv/bin/pybabel -q extract -F resources/locale/babel.cfg --no-location --omit-header --sort-output \
            $(.venv/bin/python -c 'from counter_app.common.i18n import EXTRACT_KEYWORDS as k; print(" ".join(f"-k {n}:{s[0]}" for n, s in k.items()))') \
            -o resources/locale/shubbak.pot .
        for po in resources/locale/*/LC_MESSAGES/shubbak.po; do msgfmt --check -o /dev/null "$po"; done
        compile_catalogues
        exec .venv/bin/python -m pytest -p no:cacheprovider -q tests/common
        ;;
    demo)
        shift
        compile_catalogues
        .venv/bin/shubbak demo --data-dir demo-data "$@"
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
            export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
        fi
        # shubbak demo wrote demo-data/counter.ini (print jobs and the virtual printer beside the database)
        # and listed above what to open: the users for each window, the kiosk and the waiting-hall display.
        echo "starting the counter app now (the login window); open the kiosk and the display as listed above"
        exec .venv/bin/counter-app --db "sqlite:///$(pwd)/demo-data/centre.sqlite3" --config demo-data/counter.ini
        ;;
    test)
        shift
        export QT_QPA_PLATFORM=offscreen
        compile_catalogues
        .venv/bin/ruff check .
        .venv/bin/mypy counter_app queue_display sync printers tests
        # In parallel processes (pytest-xdist), one per core up to four (SHUBBAK_TEST_WORKERS overrides; 0:
        # one process), each with its own throwaway PostgreSQL cluster, log folder and temporary folders.
        # A test file stays in one process (--dist loadfile): its module fixtures are made once and
        # its tests never race each other. Arguments given after `test` come last and win (`-n 0`).
        workers="${SHUBBAK_TEST_WORKERS:-$(nproc)}"
        if ((workers > 4)); then workers=4; fi
        exec .venv/bin/python -m pytest -p no:cacheprovider -n "$workers" --dist loadfile "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo|test [args]" >&2
        exit 2
        ;;
esac

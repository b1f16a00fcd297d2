#!/bin/sh
# Runs COMMAND inside a private D-Bus session bus with its own gnome-keyring-daemon, whose login
# collection is created and unlocked with a test password, so keyring tests never touch the
# user's keyring or bus.
#
# Usage: keyring-session.sh COMMAND [ARG...]
#
# COMMAND gets FERRY_KEYRING_SESSION=1, a temporary HOME and XDG directories, and
# FERRY_TEST_KEYRING_PASSWORD. When dbus-run-session or gnome-keyring-daemon is missing,
# COMMAND runs without a session and sees FERRY_KEYRING_SESSION=unavailable, so tests can skip
# with a reason. The exit status is COMMAND's.
set -eu

password=${FERRY_TEST_KEYRING_PASSWORD:-ferry-test-keyring}

if [ "${FERRY_KEYRING_SESSION_INNER:-}" != 1 ]; then
    if ! command -v dbus-run-session >/dev/null 2>&1 ||
        ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
        echo "keyring-session.sh: dbus-run-session or gnome-keyring-daemon is not installed" \
            "(packages dbus-daemon, gnome-keyring); running without a keyring session" >&2
        FERRY_KEYRING_SESSION=unavailable exec "$@"
    fi

    work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-keyring.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    trap 'exit 130' INT TERM
    mkdir -m 700 "$work/home" "$work/data" "$work/config" "$work/cache" "$work/runtime"

    status=0
    env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS \
        HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
        XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR="$work/runtime" \
        FERRY_KEYRING_SESSION_INNER=1 FERRY_TEST_KEYRING_PASSWORD="$password" \
        dbus-run-session -- "$0" "$@" || status=$?
    exit "$status"
fi

# Inside the private bus from here on.
unset FERRY_KEYRING_SESSION_INNER

secrets_owner_pid() {
    gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets \
        2>/dev/null | sed -n 's/.*uint32 \([0-9][0-9]*\).*/\1/p'
}

# The daemon forks into the background and prints environment lines, which are not needed:
# clients find it through the bus.
printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

# Wait until the daemon owns its bus name. A client that came earlier would make the bus start
# a second, locked daemon through D-Bus activation.
keyring_pid=
attempt=0
while [ "$attempt" -lt 100 ]; do
    keyring_pid=$(secrets_owner_pid)
    [ -n "$keyring_pid" ] && break
    attempt=$((attempt + 1))
    sleep 0.1
done
if [ -z "$keyring_pid" ]; then
    echo "keyring-session.sh: gnome-keyring-daemon did not claim org.freedesktop.secrets" \
        "within 10 s" >&2
    exit 1
fi

status=0
FERRY_KEYRING_SESSION=1 "$@" || status=$?

kill "$keyring_pid" 2>/dev/null || true
exit "$status"

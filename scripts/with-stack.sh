#!/usr/bin/env bash
# Run one command with the local stack (Kafka + Redis) up, and always take the stack down after:
# on success, on failure, on Ctrl-C and on SIGTERM. Exits with the command's exit code.
#
#   scripts/with-stack.sh .venv/bin/pytest -q
#   scripts/with-stack.sh --fresh .venv/bin/pytest -q   # the stack's data deleted first (stack reset)
#
# Servers this stack did not start (e.g. a broker you run yourself on the same port) are used
# as they are and left running.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

fresh=0
if [ "${1:-}" = "--fresh" ]; then
    fresh=1
    shift
fi
if [ $# -eq 0 ]; then
    echo "usage: $0 [--fresh] COMMAND [ARG...]" >&2
    exit 2
fi

PYTHON="${INTERDICT_PYTHON:-.venv/bin/python}"
child=""
stack_stopped=0

stack() {
    "$PYTHON" -m services.localstack "$@"
}

stop_stack() {
    [ "$stack_stopped" = 1 ] && return
    stack_stopped=1
    stack down || echo "with-stack: 'stack down' failed; check '$PYTHON -m services.localstack status'" >&2
}

on_signal() {
    local code=$1
    trap - INT TERM
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    exit "$code"  # the EXIT trap stops the stack
}

trap stop_stack EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

if [ "$fresh" = 1 ]; then
    stack reset || exit $?
fi
stack up || exit $?

# In the background so INT/TERM reach our traps at once instead of after the command ends;
# the explicit stdin redirection keeps the terminal's stdin, which bash would otherwise replace
# with /dev/null for a background job.
"$@" 0<&0 &
child=$!
wait "$child"
status=$?
child=""
exit "$status"

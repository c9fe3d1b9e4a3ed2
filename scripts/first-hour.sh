#!/usr/bin/env bash
# The README's steps, in order, on a fresh clone of this repository (or of $1): install,
# pnpm start, two chat clients (JSON and binary) that chat, Ctrl+C, pnpm run docs.
# Uses the default ports (8080, 8081, 9090): run it where they are free.
set -u
SRC="${1:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}"
DIR=$(mktemp -d /tmp/taurus-first-hour-XXXX)
git clone -q "$SRC" "$DIR/taurus" && cd "$DIR/taurus" || exit 1
export LOG="$DIR"
echo "== install"
npm install -g pnpm@10.34.9 >$LOG/npm.log 2>&1 && pnpm install --frozen-lockfile > $LOG/install.log 2>&1
echo "install rc=$? warnings: $(grep -ci warn $LOG/install.log)"
echo "== pnpm start (terminal 1)"
setsid bash -c 'pnpm start > $LOG/start.log 2>&1; echo "start exit=$?" >> $LOG/start.log' & S=$!
for i in $(seq 1 240); do grep -q '"listening"\|listening' $LOG/start.log 2>/dev/null && break; sleep 1; done
echo "listening after ${i}s"; cat $LOG/start.log
echo "== clients (terminals 2 and 3)"
mkfifo $LOG/fa $LOG/fb 2>/dev/null
node apps/chat-client/dist/main.js 127.0.0.1:8080 alice < $LOG/fa > $LOG/alice.log 2>&1 & A=$!
exec 7>$LOG/fa
sleep 1
node apps/chat-client/dist/main.js 127.0.0.1:8081 bob < $LOG/fb > $LOG/bob.log 2>&1 & B=$!
exec 8>$LOG/fb
for i in $(seq 1 30); do grep -q "bob joined" $LOG/alice.log && break; sleep 0.5; done
echo "hello from alice over JSON" >&7
echo "hi from bob over binary" >&8
for i in $(seq 1 30); do grep -q "\[bob\]" $LOG/alice.log && grep -q "\[alice\]" $LOG/bob.log && break; sleep 0.5; done
echo "quit" >&7; wait $A; echo "alice exit=$?"
for i in $(seq 1 30); do grep -q "alice left" $LOG/bob.log && break; sleep 0.5; done
kill -INT $B; wait $B; echo "bob (Ctrl+C) exit=$?"
exec 7>&- 8>&-
echo "-- alice:"; cat $LOG/alice.log; echo "-- bob:"; cat $LOG/bob.log
echo "== taurus probe"
node packages/cli/bin/taurus.js probe 127.0.0.1:8081
echo "== Ctrl+C on pnpm start"
kill -INT -- -$S   # what Ctrl+C in terminal 1 does: SIGINT to its process group
for i in $(seq 1 30); do grep -q "start exit=" $LOG/start.log && break; sleep 0.5; done
tail -4 $LOG/start.log
echo "== pnpm run docs"
pnpm run docs > $LOG/docs.log 2>&1; echo "docs rc=$?"; tail -3 $LOG/docs.log
rm -f $LOG/fa $LOG/fb

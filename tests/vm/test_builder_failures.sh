#!/usr/bin/env bash
# lifeline-image fails clearly and leaves no medium behind: a missing tool (named with its
# package), a failed download (apt sources that cannot be reached), bad options.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builder=$here/../../image-builder/lifeline-image
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail()
{
	echo "FAIL: $*" >&2
	exit 1
}
no_media()
{
	local left
	left=$(find "$t/out" -mindepth 1 2>/dev/null | head -n 5)
	[ -z "$left" ] || fail "files left in the output directory: $left"
}

# --help and bad options
"$builder" --help | grep -q -- '--compress' || fail "--help says nothing about --compress"
set +e
"$builder" --bogus >"$t/log" 2>&1
rc=$?
set -e
[ $rc = 2 ] || fail "--bogus: status $rc, expected 2"
set +e
"$builder" --compress tiny >"$t/log" 2>&1
rc=$?
set -e
[ $rc = 2 ] || fail "--compress tiny: status $rc, expected 2"

# 1. a missing tool: a PATH with everything but xorriso
mkdir "$t/bin"
for d in /usr/local/bin /usr/bin /usr/sbin /bin /sbin; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		b=${f##*/}
		[ "$b" = xorriso ] || [ -e "$t/bin/$b" ] || ln -s "$f" "$t/bin/$b"
	done
done
set +e
PATH=$t/bin "$builder" --out "$t/out" --build-dir "$t/build" --cache "$t/cache" iso >"$t/log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "missing xorriso: status $rc, expected 1: $(cat "$t/log")"
grep -q 'xorriso (xorriso)' "$t/log" || fail "the missing package is not named: $(cat "$t/log")"
grep -q 'tools/install-deps image' "$t/log" || fail "no hint how to install: $(cat "$t/log")"
no_media

# 2. a failed download: apt sources that cannot be reached (nothing listens on port 9)
if [ "$(id -u)" = 0 ] || [ -r /proc/sys/kernel/unprivileged_userns_clone ]; then
	printf 'deb http://127.0.0.1:9/debian bookworm main\n' >"$t/unreachable.list"
	set +e
	"$builder" --out "$t/out" --build-dir "$t/build" --cache "$t/cache" \
		--sources "$t/unreachable.list" rootfs >"$t/log" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || fail "unreachable sources: status $rc, expected 1: $(tail -n 20 "$t/log")"
	grep -q 'mmdebstrap failed' "$t/log" || fail "no clear message: $(tail -n 20 "$t/log")"
	grep -q 'failed while: root filesystem' "$t/log" || fail "the failed step is not named"
	no_media
	left=$(find "$t/cache" -name '*.tmp.*' | head -n 3)
	[ -z "$left" ] || fail "temporary files left in the cache: $left"
fi
echo "lifeline-image failure paths: all checks passed"

#!/usr/bin/env bash
# The image builder's scripts pass shellcheck, and the VM harness compiles.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ib=$here/../../image-builder
if ! command -v shellcheck >/dev/null 2>&1; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL: shellcheck is missing (tools/install-deps image)" >&2
		exit 1
	fi
	echo "SKIP: shellcheck is missing (tools/install-deps image)" >&2
	exit 77
fi
shellcheck "$ib/lifeline-image" "$ib/install-to-disk" "$ib/rootfs-hook" \
	"$here/test_install.sh" "$here/test_builder_failures.sh" "$here/lint.sh" \
	"$here/bench-image.sh"
# the system's scripts run under dash and busybox: POSIX sh
(cd "$ib/rootfs" && shellcheck -x -P SCRIPTDIR -s sh init usr/lib/lifeline/*)
python3 -c "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]" \
	"$here"/vmharness.py "$here"/vmimage.py "$here"/test_boot.py \
	"$here"/test_remote.py "$here"/test_image.py
echo "lint: clean"

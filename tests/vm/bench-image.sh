#!/usr/bin/env bash
# Figures for the recovery image (a benchmark, not a test): media sizes, build time with a cold
# and a warm package cache, and boot time under TCG from qemu start to LIFELINE-READY for the
# ISO (BIOS, CD) and network boot (BIOS iPXE; UEFI PXE with the single EFI file).
#
# usage: tests/vm/bench-image.sh [--no-cold] [--boots N] [WORKDIR]
#   --no-cold   skip the cold build (it downloads every package again: minutes)
#   --boots N   boot each medium N times (default 2) and print each time
#   WORKDIR     scratch space (default: build-bench under the source tree)
# Targets: ISO <= 150 MB; boot to ready <= 45 s.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cold=1
boots=2
work=$repo/build-bench
while [ $# -gt 0 ]; do
	case $1 in
	--no-cold) cold=0 ;;
	--boots) boots=${2:?}; shift ;;
	-h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) work=$1 ;;
	esac
	shift
done
mkdir -p "$work"
builder=$repo/image-builder/lifeline-image

timed_build()
{
	local name=$1
	shift
	local t0=$SECONDS
	"$builder" --out "$work/$name/out" --build-dir "$work/$name/build" "$@" all \
		>"$work/$name.log" 2>&1 || {
		tail -n 20 "$work/$name.log" >&2
		echo "bench: build $name failed (log: $work/$name.log)" >&2
		exit 1
	}
	echo $((SECONDS - t0))
}

results=()
if [ $cold = 1 ]; then
	rm -rf "$work/cold-cache"
	echo "bench: cold build (empty package cache) ..." >&2
	results+=("build, cold package cache:   $(timed_build cold --cache "$work/cold-cache") s")
	rm -rf "$work/cold-cache" "$work/cold"
fi
echo "bench: warm build (default cache) ..." >&2
timed_build warm-prime >/dev/null   # fills the cache when it is empty
results+=("build, warm package cache:   $(timed_build warm) s")
results+=("build, warm, --compress small: $(timed_build small --compress small) s")

out=$work/warm/out
mb()
{
	awk -v b="$1" 'BEGIN { printf "%6.1f MB (%5.1f MiB)", b / 1000000, b / 1048576 }'
}
sizes()
{
	local dir=$1 f
	for f in lifeline.iso lifeline-disk.img lifeline.efi initrd.img vmlinuz; do
		printf '  %-20s %s\n' "$f" "$(mb "$(stat -c %s "$dir/$f")")"
	done
	printf '  %-20s %s\n' netboot/ "$(mb "$(du -sb "$dir/netboot" | cut -f1)")"
}

echo "bench: booting (TCG) ..." >&2
boot_times=$(cd "$here" && python3 - "$out" "$work/boots" "$boots" <<'PYEOF'
import os, sys
import vmharness
from vmharness import VM
out, workdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = {
    'iso-bios-cd': lambda: (VM('bench-iso', workdir), 'cdrom'),
    'net-bios-ipxe': lambda: (VM('bench-ipxe', workdir, tftp=os.path.join(out, 'netboot'),
                                 bootfile='boot.ipxe', boot_from_nic=True), None),
    'net-uefi-pxe': lambda: (VM('bench-uefi-pxe', workdir, firmware='uefi',
                                tftp=os.path.join(out, 'netboot'), bootfile='lifeline.efi',
                                nic_romfile='', boot_from_nic=True), None),
}
for name, make in cases.items():
    times = []
    for _ in range(n):
        vm, media = make()
        if media == 'cdrom':
            vm.cdrom(os.path.join(out, 'lifeline.iso'))
        with vm:
            vm.start()
            vm.wait_for(r'LIFELINE-INIT', 300)
            t_init = vm.elapsed()
            vm.wait_for(r'LIFELINE-READY', 300)
            times.append((t_init, vm.elapsed()))
    print(f'boot {name:14} ' + '  '.join(f'{r:5.1f} s (LIFELINE-INIT at {i:4.1f} s)' for i, r in times))
PYEOF
)

echo
echo "Lifeline recovery image: figures ($(nproc) CPUs, QEMU_ACCEL=${QEMU_ACCEL:-tcg})"
echo "media (--compress fast, the default):"
sizes "$out"
echo "media (--compress small):"
sizes "$work/small/out"
printf '%s\n' "${results[@]}"
echo "boot, qemu start to LIFELINE-READY:"
while IFS= read -r line; do
	printf '  %s\n' "$line"
done <<<"$boot_times"
iso=$(stat -c %s "$out/lifeline.iso")
echo "target ISO <= 150 MB: $([ "$iso" -le 150000000 ] && echo met || echo MISSED)"

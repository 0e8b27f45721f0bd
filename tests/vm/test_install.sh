#!/usr/bin/env bash
# image-builder/install-to-disk on a stand-in ESP and root (no real disk, firmware or GRUB is
# touched): refuses without --yes, changes nothing on --dry-run, copies only its own files,
# adds one firmware boot entry (through a recording efibootmgr), and removes what it added.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tool=$here/../../image-builder/install-to-disk
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

mkdir -p "$t/media" "$t/esp/EFI/debian" "$t/bin" "$t/root/boot" "$t/root/etc/grub.d"
head -c 300000 /dev/urandom >"$t/media/lifeline.efi"
head -c 200000 /dev/urandom >"$t/media/vmlinuz"
head -c 400000 /dev/urandom >"$t/media/initrd.img"
echo "the installed system's boot loader" >"$t/esp/EFI/debian/grubx64.efi"
echo "grub config" >"$t/root/etc/grub.d/40_custom"
before=$(cd "$t" && find esp root -type f -exec sha256sum {} + | sort)

# efibootmgr stand-in: records its arguments; lists the entries created so far
cat >"$t/bin/efibootmgr" <<'EOS'
#!/bin/sh
echo "$*" >>"$EFI_LOG"
case " $* " in
*" --create-only "*) echo "Boot0007* Lifeline recovery	HD(1,GPT,...)" >>"$EFI_STATE" ;;
*" -B "*) : >"$EFI_STATE" ;;
esac
echo "BootCurrent: 0001"
echo "Boot0001* debian	HD(1,GPT,...)"
cat "$EFI_STATE" 2>/dev/null
exit 0
EOS
chmod 755 "$t/bin/efibootmgr"
export PATH="$t/bin:$PATH" EFI_LOG=$t/efi.log EFI_STATE=$t/efi.state
efi=(--mode efi --media "$t/media" --esp "$t/esp" --disk /dev/sdz --part 1)

# 1. without --yes: refuses, changes nothing
if "$tool" "${efi[@]}" >"$t/out" 2>&1; then fail "ran without --yes"; fi
grep -q 'with --yes' "$t/out" || fail "no hint about --yes: $(cat "$t/out")"
[ ! -e "$t/esp/EFI/Lifeline" ] || fail "wrote to the ESP without --yes"
if grep -q -- '-c\|-B\|-n' "$EFI_LOG" 2>/dev/null; then fail "changed boot entries without --yes"; fi

# 2. --dry-run: prints the plan, changes nothing
"$tool" "${efi[@]}" --dry-run >"$t/out" 2>&1 || fail "dry run failed: $(cat "$t/out")"
grep -q 'would: copy' "$t/out" || fail "dry run shows no plan: $(cat "$t/out")"
grep -q 'would: add firmware boot entry' "$t/out" || fail "dry run shows no boot entry: $(cat "$t/out")"
if [ -e "$t/esp/EFI/Lifeline" ] || grep -q -- '-c\|-B\|-n' "$EFI_LOG" 2>/dev/null; then
	fail "the dry run changed something"
fi

# 3. --yes: the UKI is on the ESP, one entry, not in the boot order
"$tool" "${efi[@]}" --yes >"$t/out" 2>&1 || fail "install failed: $(cat "$t/out")"
cmp -s "$t/media/lifeline.efi" "$t/esp/EFI/Lifeline/lifeline.efi" || fail "lifeline.efi not copied"
grep -q -- '--create-only --disk /dev/sdz --part 1 --label Lifeline recovery --loader \\EFI\\Lifeline\\lifeline.efi' "$EFI_LOG" ||
	fail "unexpected efibootmgr call: $(cat "$EFI_LOG")"

# 4. again: no second entry
"$tool" "${efi[@]}" --yes >"$t/out" 2>&1 || fail "second install failed: $(cat "$t/out")"
[ "$(grep -c -- '--create-only' "$EFI_LOG")" = 1 ] || fail "a second boot entry was made"
grep -q 'exists already' "$t/out" || fail "no note about the existing entry"

# 5. not enough room on the ESP: clear error, nothing half-written
truncate -s 8T "$t/media/huge.efi"
mkdir "$t/media2"
ln -s "$t/media/huge.efi" "$t/media2/lifeline.efi"
if "$tool" --mode efi --media "$t/media2" --esp "$t/esp" --disk /dev/sdz --part 1 --yes >"$t/out" 2>&1; then
	fail "installed an 8 TiB file"
fi
grep -q 'not enough room' "$t/out" || fail "no clear message on a full ESP: $(cat "$t/out")"
cmp -s "$t/media/lifeline.efi" "$t/esp/EFI/Lifeline/lifeline.efi" || fail "the installed file was damaged"

# 6. uninstall: our file and entry go, everything else stays
"$tool" "${efi[@]}" --uninstall --yes >"$t/out" 2>&1 || fail "uninstall failed: $(cat "$t/out")"
[ ! -e "$t/esp/EFI/Lifeline" ] || fail "EFI/Lifeline still there"
grep -q -- '-b 0007 -B' "$EFI_LOG" || fail "boot entry not deleted: $(cat "$EFI_LOG")"

# 7. BIOS with GRUB, on a system mounted elsewhere (--root)
"$tool" --mode grub --media "$t/media" --root "$t/root" --yes >"$t/out" 2>&1 ||
	fail "grub install failed: $(cat "$t/out")"
cmp -s "$t/media/initrd.img" "$t/root/boot/lifeline/initrd.img" || fail "initrd.img not copied"
cmp -s "$t/media/vmlinuz" "$t/root/boot/lifeline/vmlinuz" || fail "vmlinuz not copied"
menu=$(sh "$t/root/etc/grub.d/42_lifeline")
echo "$menu" | grep -q "menuentry 'Lifeline recovery'" || fail "no menu entry: $menu"
echo "$menu" | grep -q 'linux /boot/lifeline/vmlinuz console=tty0' || fail "no linux line: $menu"
echo "$menu" | grep -q 'initrd /boot/lifeline/initrd.img' || fail "no initrd line: $menu"
"$tool" --mode grub --root "$t/root" --uninstall --yes >"$t/out" 2>&1 || fail "grub uninstall failed"
if [ -e "$t/root/boot/lifeline" ] || [ -e "$t/root/etc/grub.d/42_lifeline" ]; then fail "grub files left"; fi

after=$(cd "$t" && find esp root -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || fail "files that were not ours changed: $(diff <(echo "$before") <(echo "$after"))"
echo "install-to-disk: all checks passed"

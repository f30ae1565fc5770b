#!/bin/sh
# Debian's OVMF (real TDVF) in a softtdx TD, driven through COM1 as a user
# at a terminal would: it reaches the UEFI shell, `pci` lists q35's host
# bridge and LPC bridge, and `reset -s` powers off (ACPI S5), which ends
# softtdx with status 0.  Commands go in only once the prompt is out: the
# firmware reads and drops what is typed ahead while it boots.  Then, on a
# terminal (script(1) gives softtdx a pty), Ctrl-A x quits with status 0.
#   test_ovmf_shell.sh SOFTTDX_BINARY
set -u
softtdx=$1
ovmf=/usr/share/ovmf/OVMF.fd
if [ ! -r "$ovmf" ]; then
	echo "$ovmf not installed (package ovmf): skipped"
	exit 77
fi
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
mkfifo "$dir/in"
"$softtdx" run -bios "$ovmf" -m 1G -serial stdio --quiet <"$dir/in" >"$dir/out" 2>&1 &
pid=$!
exec 3>"$dir/in"

# Until the output holds $1 (after $2 earlier copies of it): a guard against
# hangs of 10 minutes, not a measure of speed.
wait_for() {
	i=0
	while [ "$(grep -ac "$1" "$dir/out")" -le "$2" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: softtdx ended before '$1' appeared"
			cat "$dir/out"
			exit 1
		fi
		i=$((i + 1))
		if [ $i -gt 3000 ]; then
			echo "FAIL: no '$1' after 10 minutes"
			exit 1
		fi
		sleep 0.2
	done
}

wait_for "Shell> " 0
printf 'pci\r' >&3
wait_for "Shell> " 1
for id in "Vendor 8086 Device 29C0" "Vendor 8086 Device 2918"; do
	if ! grep -aq "$id" "$dir/out"; then
		echo "FAIL: pci did not list $id"
		cat "$dir/out"
		exit 1
	fi
done
printf 'reset -s\r' >&3
wait "$pid"
status=$?
pid=
if [ $status -ne 0 ]; then
	echo "FAIL: softtdx ended with status $status after reset -s"
	exit 1
fi
if command -v script >/dev/null; then
	printf '\001x' | timeout 600 script -qec "$softtdx run -bios $ovmf -m 1G --quiet" /dev/null >"$dir/tty" 2>&1
	status=$?
	if [ $status -ne 0 ] || ! grep -aq "terminated (Ctrl-A x)" "$dir/tty"; then
		echo "FAIL: Ctrl-A x on a terminal: status $status"
		cat "$dir/tty"
		exit 1
	fi
fi
echo "PASS: UEFI shell, pci, reset -s, Ctrl-A x"

#!/bin/sh
# Repeated SMP boots of the Linux TD fixture (make stress): BOOTS boots
# cycling through -smp 2, 4, 8 and 16, each to /init on every CPU and
# power-off with status 0 within 300 s.  Prints one line per boot and the
# tally; exits 1 if any boot failed, 77 when the kernel cannot be fetched.
#   stress.sh SOFTTDX FIXTURE_DIR [BOOTS]
set -u
softtdx=$1
fixtures=$2
boots=${3:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kernel=$(sh "$(dirname "$0")/fixture.sh" "$fixtures" "$work/initrd")
case $? in
0) ;;
77) echo "SKIP: $kernel"; exit 77 ;;
*) echo "FAIL: $kernel"; exit 1 ;;
esac

failed=0
i=0
while [ $i -lt "$boots" ]; do
	smp=$(echo "2 4 8 16" | cut -d' ' -f$((i % 4 + 1)))
	start=$(date +%s)
	timeout 300 "$softtdx" run -kernel "$kernel" -initrd "$work/initrd" -append console=ttyS0 \
		-m 1G -smp "$smp" -serial "file:$work/serial" >"$work/out" 2>&1
	st=$?
	took=$(($(date +%s) - start))
	if [ $st -eq 0 ] && grep -q "softtdx-init: up, $smp cpus" "$work/serial" &&
	   grep -q "reboot: Power down" "$work/serial"; then
		echo "boot $((i + 1))/$boots: -smp $smp ok in ${took}s"
	else
		failed=$((failed + 1))
		echo "boot $((i + 1))/$boots: -smp $smp FAILED (status $st after ${took}s)"
		tail -20 "$work/serial"
	fi
	i=$((i + 1))
done
echo "stress: $boots SMP Linux boots, $failed failed"
[ $failed -eq 0 ]

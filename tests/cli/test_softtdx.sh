#!/bin/sh
# The softtdx command line: exact exit status and message of each error
# path, a successful measure of Debian's OVMF.fd when it is installed, and a
# TD run from a guest-kit image and from a payload on softtdx's TDVF.
#   test_softtdx.sh SOFTTDX_BINARY HELLO_IMAGE DEMO_PAYLOAD TDVF_IMAGE COUNTER_PAYLOAD OUTSIDE_IMAGE
set -u
softtdx=$1
hello=$2
demo=$3
tdvf=$4
counter=$5
outside=$6
ovmf=/usr/share/ovmf/OVMF.fd
. "$(dirname "$0")/common.sh"

expect 2 "softtdx measure (-bios FILE"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 0 "softtdx measure (-bios FILE" --help
expect 2 "-bios FILE, --payload FILE or -kernel FILE is required" measure
expect 2 "unexpected argument" measure -bios "$ovmf" extra
expect 2 "bad memory size '4Q'" measure -bios "$ovmf" -m 4Q
expect 2 "bad memory size '0'" measure -bios "$ovmf" -m 0
expect 1 "cannot open /nonexistent" measure -bios /nonexistent
expect 1 "no OVMF GUIDed table footer" measure -bios "$softtdx"
expect 1 "is not a firmware image size" measure -bios /dev/null
if [ -r "$ovmf" ]; then
	expect 0 "MRTD: " measure -bios "$ovmf"
	expect 0 '"mrtd": "' measure -bios "$ovmf" --json
	expect 0 "TD HOB: " measure -bios "$ovmf" -m 4G
	expect 1 "is not inside guest RAM" measure -bios "$ovmf" -m 4M
else
	echo "$ovmf not installed: OVMF cases skipped"
fi
# softtdx run
odd=$(mktemp)
head -c 4097 /dev/zero >"$odd"
expect 0 "usage: softtdx run" run --help
expect 2 "give -bios FILE, --payload FILE" run
expect 2 "give -bios FILE, --payload FILE" run -bios "$hello" --image "$hello"
expect 2 "give -bios FILE, --payload FILE" run --payload "$demo" --image "$hello"
expect 2 "unexpected argument" run --image "$hello" extra
expect 2 "bad memory size '4Q'" run --image "$hello" -m 4Q
expect 2 "bad memory size '3M'" run --image "$hello" -m 3M
expect 2 "memory size '1000T' is too large: a TD's private GPAs end at 128 TiB" \
	run --image "$hello" -m 1000T
expect 2 "-smp takes 1 to 64" run --image "$hello" -smp 65
expect 2 "unsupported device 'e1000'" run --image "$hello" -device e1000
expect 2 "unsupported tdx-guest property 'foo'" run --image "$hello" -object tdx-guest,foo=1
expect 2 "bad -serial 'bogus' or -debugcon 'none'" run --image "$hello" -serial bogus
expect 2 "bad -serial 'file:/nonexistent/out' or -debugcon 'none'" \
	run --image "$hello" -serial file:/nonexistent/out
expect 1 "vCPU 0: private access to 0x40000000, outside guest memory" \
	run --image "$outside" -m 256M
expect 1 "cannot open /nonexistent" run --image /nonexistent
expect 1 "is not a whole number of pages" run --image "$odd"
expect 1 "no OVMF GUIDed table footer" run -bios "$softtdx"
expect 2 "--accel takes softtdx or kvm" run --image "$hello" --accel tcg
# The kernel's KVM: this is no TDX host (or has no KVM at all).
if [ -e /dev/kvm ]; then
	expect 1 "the kernel's KVM offers no KVM_X86_TDX_VM" run --image "$hello" --accel kvm
else
	expect 1 "cannot open /dev/kvm" run --image "$hello" --accel kvm
fi
expect 2 "isa-debug-exit at port 0x3f9: overlaps another device" \
	run --image "$hello" -device isa-debug-exit,iobase=0x3f9
# isa-debug-exit: hello writes 0x21, so the status is (0x21 << 1) | 1
expect 67 "hello from a TD" run --image "$hello" -device isa-debug-exit
# 20 TiB of RAM: five memslots above 4 GiB, costing what the TD touches
expect 67 "hello from a TD" run --image "$hello" -device isa-debug-exit -m 20T
expect 67 "hello from a TD" run --image "$hello" -device isa-debug-exit,iobase=0xf4 -smp 2 \
	-object tdx-guest,id=tdx0,sept-ve-disable=off
rm -f "$odd"
# 2, 4 and 16 vCPUs on one counter, with LOCK INC and with a spinlock: exact totals.
expect 1 "counter: 2 vCPUs, LOCK INC 100000, spinlock 100000" \
	run --payload "$counter" -smp 2 -device isa-debug-exit
expect 1 "counter: 4 vCPUs, LOCK INC 200000, spinlock 200000" \
	run --payload "$counter" -smp 4 -device isa-debug-exit
expect 1 "counter: 16 vCPUs, LOCK INC 800000, spinlock 800000" \
	run --payload "$counter" -smp 16 -device isa-debug-exit
# Payloads on softtdx's TDVF
expect 1 "cannot open /nonexistent" run --payload /nonexistent
expect 1 "not a little-endian ELF64 file" run --payload "$hello"
expect 1 "not a little-endian ELF64 file" measure --payload "$hello"
expect 1 "$hello: no OVMF GUIDed table footer" run --payload "$demo" -bios "$hello"
if [ -r "$ovmf" ]; then
	expect 1 "the firmware takes no payload (not softtdx's TDVF)" \
		run --payload "$demo" -bios "$ovmf"
fi
expect 1 "section 3 [0x1000000, 0x1004000) is not inside guest RAM" run --payload "$demo" -m 16M
export SOFTTDX_LPS=2	# a platform with two logical processors
expect 1 "-smp 3: this TD takes at most 2 vCPUs" run --payload "$demo" -smp 3
unset SOFTTDX_LPS
expect 1 "softtdx-tdvf: no payload: the VMM added none at 16 MiB" run -bios "$tdvf"
expect 1 "the TD reported a fatal error" run -bios "$tdvf"
expect 1 "hello from inside a trust domain" run --payload "$demo" -smp 4 -device isa-debug-exit
expect 0 "Payload  0x1000000" measure --payload "$demo"
# The MRTD softtdx computes offline is the one the TD's own TDREPORT shows,
# and the one `softtdx measure` prints.
"$softtdx" run --payload "$demo" -device isa-debug-exit >"$out" 2>&1
host=$(sed -n 's/^softtdx run: MRTD \([0-9a-f]*\)$/\1/p' "$out")
guest=$(sed -n 's/^TDREPORT: MRTD *\([0-9a-f]*\)$/\1/p' "$out")
measured=$("$softtdx" measure -bios "$tdvf" --payload "$demo" | sed -n 's/^MRTD: //p')
if [ -z "$host" ] || [ "$host" != "$guest" ] || [ "$host" != "$measured" ]; then
	echo "FAIL: offline MRTD '$host', measure's '$measured', the TD's '$guest':" >&2
	cat "$out" >&2
	failed=1
fi
expect 1 "RTMR[2] extended" run --payload "$demo" --quiet -device isa-debug-exit
if grep -q "MRTD [0-9a-f]" "$out"; then echo "FAIL: --quiet printed the MRTD" >&2; failed=1; fi
exit "$failed"

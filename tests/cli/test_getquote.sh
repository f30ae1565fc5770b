#!/bin/sh
# GetQuote end to end: the demo TD's TDVMCALL<GetQuote> through `softtdx run`
# to a `softtdx qgs` daemon and back, the quote the launcher saves verified
# against the MRTD it computed offline; with no socket, QGS_UNAVAILABLE; with
# a dead one, ERROR.  And the launcher's QEMU options around it.
#   test_getquote.sh SOFTTDX_BINARY DEMO_PAYLOAD
set -u
softtdx=$1
demo=$2
. "$(dirname "$0")/common.sh"

# Options QEMU has for a TD, and what it refuses.  $b64: 48 bytes of 'A'.
b64=$(head -c 48 /dev/zero | tr '\0' 'A' | base64 -w0)
expect 2 "is not the base64 of a 48-byte SHA-384" run --payload "$demo" \
	-object tdx-guest,id=tdx,mrconfigid=AAAA
expect 2 "attributes.debug" run --payload "$demo" -object tdx-guest,id=tdx,attributes=1
expect 2 "attributes='x' is not a number" run --payload "$demo" -object tdx-guest,attributes=x
expect 1 "invalid attributes 0x40000000 for a TDX VM" run --payload "$demo" \
	-object tdx-guest,id=tdx,attributes=0x40000000
expect 2 "kernel-irqchip=on: a TDX VM requires kernel-irqchip=split" run --payload "$demo" \
	-machine q35,kernel-irqchip=on
expect 2 "smm=on: a TDX VM doesn't support SMM" run --payload "$demo" -machine q35,smm=on
expect 2 "pic=on: a TDX VM doesn't support PIC" run --payload "$demo" -machine q35,pic=on
expect 2 "machine type 'pc': TDX needs q35" run --payload "$demo" -machine pc
expect 2 "pflash0: a TD boots from -bios" run --payload "$demo" -machine q35,pflash0=fw
expect 2 "confidential-guest-support=tdx names no -object tdx-guest" run --payload "$demo" \
	-machine q35,confidential-guest-support=tdx
expect 2 "quote-generation-socket.type=unix lacks its path" run --payload "$demo" \
	-object tdx-guest,id=tdx,quote-generation-socket.type=unix
expect 2 "quote-generation-socket.type 'tcp'" run --payload "$demo" \
	-object tdx-guest,id=tdx,quote-generation-socket.type=tcp
expect 2 "--trace: unknown event 'bogus'" run --payload "$demo" --trace=exit,bogus

# No quote-generation socket: the TD hears QGS_UNAVAILABLE.  (-d is --json.)
expect 1 "GetQuote: no quote-generation service" run --payload "$demo" -device isa-debug-exit -d
grep -q '"quotes": 0, "exits": {' "$out" || fail "-d: no JSON summary"
# A socket nobody listens on: ERROR, and the launcher says why.
expect 1 "GetQuote: the VMM could not get a quote" run --payload "$demo" \
	-device isa-debug-exit --quote-socket "$work/nobody.sock"
grep -qF "cannot connect to the QGS" "$out" || fail "no reason for the failed GetQuote"

# The round trip, with QEMU's spelling of the socket.
"$softtdx" qgs --socket "$work/qgs.sock" >"$work/qgs.log" 2>&1 &
qgs_pid=$!
started "$work/qgs.log" || fail "softtdx qgs did not start"
expect 1 "-byte TD quote, version 4, notified by interrupt" run \
	--payload "$demo" -device isa-debug-exit --quote-out "$work/td.quote" --json \
	-machine q35,confidential-guest-support=tdx0,kernel-irqchip=split \
	-object "tdx-guest,id=tdx0,mrowner=$b64,quote-generation-socket.type=unix,quote-generation-socket.path=$work/qgs.sock"
mrtd=$(sed -n 's/^softtdx run: MRTD \([0-9a-f]*\)$/\1/p' "$out")
grep -q '"end": "isa-debug-exit"' "$out" || fail "--json: no end"
grep -q "\"mrtd\": \"$mrtd\"" "$out" || fail "--json: not the MRTD"
grep -q '"quotes": 1' "$out" || fail "--json: no quote counted"
grep -q '"rtmr": \["0000' "$out" || fail "--json: no RTMRs"
expect 0 "quote: verified" quote verify "$work/td.quote" --mrtd "$mrtd" \
	--report-data 736f66747464782064656d6f3a207265706f72742064617461
# MROWNER from -object reached the TD's TDREPORT, so it is in the quote.
expect 0 "MROWNER        414141414141414141414141" quote verify "$work/td.quote"
expect 1 "MRTD" quote verify "$work/td.quote" --mrtd "$(printf '%096d' 0)"
# --trace: each kind of event shows.
"$softtdx" run --payload "$demo" -device isa-debug-exit --quiet --trace \
	--quote-socket "unix:$work/qgs.sock" >"$out" 2>&1
for event in "exit vCPU 0" "vmcall vCPU 0 TDVMCALL" "seamcall LP" "tdcall vCPU 0 TDG.MR.REPORT"; do
	grep -qF "softtdx-trace: $event" "$out" || fail "--trace: no '$event' line"
done
exit "$failed"

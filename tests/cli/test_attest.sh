#!/bin/sh
# Attestation on the command line: `softtdx qgs` serving a quote over its
# Unix socket, `softtdx quote verify` accepting it and refusing every
# corruption, and the exact exit status and message of each error path.
#   test_attest.sh SOFTTDX_BINARY QGS_REQUEST_BINARY
set -u
softtdx=$1
request=$2
. "$(dirname "$0")/common.sh"

# Usage and option errors
expect 2 "usage: softtdx quote verify FILE" quote
expect 0 "usage: softtdx quote verify FILE" quote --help
expect 2 "unknown command 'sign'" quote sign
expect 2 "FILE is required" quote verify
expect 2 "unexpected argument" quote verify a b
expect 2 "bad --mrtd 'abc' (want 96 hex digits)" quote verify x --mrtd abc
expect 2 "bad --report-data 'zz' (want up to 128 hex digits)" quote verify x --report-data zz
expect 1 "cannot open $work/none: No such file or directory" quote verify "$work/none"
expect 2 "give --socket PATH or --vsock PORT" qgs
expect 0 "usage: softtdx qgs" qgs --help
expect 2 "bad vsock port 'x'" qgs --vsock x
expect 2 "bad --max-connections '0' (1 to 4096)" qgs --socket /tmp/x.sock --max-connections 0
expect 2 "bad --idle-timeout '1s' (1 to 86400)" qgs --socket /tmp/x.sock --idle-timeout 1s
expect 2 "unexpected argument" qgs --socket "$work/s" extra
: >"$work/plain"
expect 1 "$work/plain exists and is not a socket" qgs --socket "$work/plain"

# The service: up, answering, and a second one refused
sock=$work/qgs.sock
"$softtdx" qgs --socket "$sock" 2>"$work/qgs.log" &
qgs_pid=$!
started "$work/qgs.log" || fail "softtdx qgs did not start"
for f in attest-root.pem attest-platform-ca.pem attest-pck.pem attest-pck.key attest-ak.key; do
	mode=$(stat -c %a "$SOFTTDX_DATA_DIR/$f" 2>/dev/null)
	[ "$mode" = 600 ] || fail "$f has mode '$mode', want 600"
done
expect 1 "a QGS is already listening on $sock" qgs --socket "$sock"

quote=$work/quote.dat
"$request" "unix:$sock" "$quote" "hello attestation" >"$out" 2>&1 || fail "qgs-request"
rd=$(printf 'hello attestation' | od -An -tx1 | tr -d ' \n')
mrtd=$(printf '%096d' 0 | sed 's/00/71/g')	# seed 0x42 ^ 0x33
expect 0 "REPORTDATA     $rd" quote verify "$quote"
expect 0 "quote: verified, TD Quote v4" quote verify "$quote" --report-data "$rd" --mrtd "$mrtd"
expect 0 "\"mrtd\": \"$mrtd\"" quote verify "$quote" --json
expect 0 "ATTRIBUTES     0x0000000010000042" quote verify "$quote"
expect 1 "REPORTDATA does not match --report-data" quote verify "$quote" --report-data 00
expect 1 "MRTD does not match --mrtd" quote verify "$quote" --mrtd "$(printf '%096d' 0)"

expect 1 "cannot open $work/none.pem: No such file or directory" quote verify "$quote" \
	--root "$work/none.pem"
expect 1 "the root certificate is not a PEM certificate" quote verify "$quote" --root "$work/plain"
env -u HOME -u XDG_DATA_HOME SOFTTDX_DATA_DIR= "$softtdx" quote verify "$quote" >"$out" 2>&1
[ $? -eq 1 ] && grep -qF "no data directory for the root certificate: give --root" "$out" ||
	fail "quote verify with no data directory"
env -u HOME -u XDG_DATA_HOME SOFTTDX_DATA_DIR= "$softtdx" qgs --socket "$work/s3" >"$out" 2>&1
[ $? -eq 1 ] && grep -qF "no data directory: set SOFTTDX_DATA_DIR or HOME" "$out" ||
	fail "qgs with no data directory"
expect 1 "cannot read $work" quote verify "$work"
truncate -s 2M "$work/huge"
expect 1 "$work/huge is larger than 1048576 bytes" quote verify "$work/huge"

# Corruptions of the quote
size=$(stat -c %s "$quote")
head -c 600 "$quote" >"$work/short"
expect 1 "600 bytes is too short for a TD quote (at least 636)" quote verify "$work/short"
head -c $((size - 1)) "$quote" >"$work/cut"
expect 1 "signed data size $((size - 636)), but the quote has $((size - 637)) bytes" \
	quote verify "$work/cut"
flip() {	# flip OFFSET FILE: a copy of the quote with one byte changed
	cp "$quote" "$2"
	printf '\377' | dd of="$2" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
flip 200 "$work/body"
expect 1 "the quote's signature is not the attestation key's" quote verify "$work/body"
flip 800 "$work/qe"
expect 1 "the QE report's signature is not the PCK key's" quote verify "$work/qe"
flip 0 "$work/version"
expect 1 "quote version 255 is not 4" quote verify "$work/version"
cp "$quote" "$work/long" && printf 'x' >>"$work/long"
expect 1 "signed data size $((size - 636)), but the quote has $((size - 635)) bytes" \
	quote verify "$work/long"

# Another machine's root, and another machine's TDREPORT
other=$work/other
SOFTTDX_DATA_DIR=$other "$softtdx" qgs --socket "$work/other.sock" 2>"$work/other.log" &
other_pid=$!
started "$work/other.log" || fail "the second QGS did not start"
expect 1 "the PCK certificate chain's root certificate is not the trusted root" \
	quote verify "$quote" --root "$other/attest-root.pem"
expect 0 "quote: verified" quote verify "$quote" --root "$SOFTTDX_DATA_DIR/attest-root.pem"
SOFTTDX_DATA_DIR=$other "$request" "unix:$sock" "$work/foreign" >"$out" 2>&1
grep -qF "the QGS could not make a quote: QGS_MSG_ERROR_UNEXPECTED (0x12001)" "$out" ||
	fail "a TDREPORT MAC'ed by another machine got a quote"
grep -qF "the TDREPORT's MAC was not made on this machine" "$work/qgs.log" ||
	fail "the QGS did not say why it refused"
# No usable report key: the QGS cannot check any TDREPORT, and says so.
key=$SOFTTDX_DATA_DIR/platform-report.key
mv "$key" "$work/key.save" && printf 'short' >"$key"
"$request" "unix:$sock" "$work/nokey" >"$out" 2>&1 && fail "a quote without a report key"
grep -qF "no platform report key in the data directory: cannot check TDREPORTs" "$work/qgs.log" ||
	fail "the QGS did not say it has no report key"
mv "$work/key.save" "$key"
kill -INT "$other_pid"
wait "$other_pid" || fail "the second QGS did not exit 0 on SIGINT"
[ -e "$work/other.sock" ] && fail "SIGINT left $work/other.sock behind"
"$request" "$work/other.sock" "$work/x" >"$out" 2>&1
grep -qF "cannot connect to the QGS at $work/other.sock: No such file or directory" "$out" ||
	fail "qgs-request to a stopped QGS"

# SIGTERM: exit 0, socket removed
kill -TERM "$qgs_pid"
wait "$qgs_pid" || fail "softtdx qgs did not exit 0 on SIGTERM"
qgs_pid=
[ -e "$sock" ] && fail "SIGTERM left $sock behind"

# A QGS that died (SIGKILL) leaves its socket file; the next one reuses it.
"$softtdx" qgs --socket "$sock" --quiet 2>"$work/killed.log" &
qgs_pid=$!
started "$work/killed.log" || fail "softtdx qgs did not start"
kill -KILL "$qgs_pid"
wait "$qgs_pid" 2>/dev/null
[ -S "$sock" ] || fail "SIGKILL should have left the socket file"
"$softtdx" qgs --socket "$sock" --quiet 2>"$work/stale.log" &
qgs_pid=$!
started "$work/stale.log" || fail "softtdx qgs did not start on a stale socket"
"$request" "unix:$sock" "$quote" >"$out" 2>&1 || fail "no quote from a QGS on a stale socket"
kill -TERM "$qgs_pid"
wait "$qgs_pid"
qgs_pid=

# vsock: a listener where the kernel has it, a clear refusal where not
"$softtdx" qgs --vsock 47123 --quiet >"$out" 2>&1 &
vsock_pid=$!
if started "$out" && kill -TERM "$vsock_pid" 2>/dev/null; then
	wait "$vsock_pid" || fail "softtdx qgs --vsock did not exit 0 on SIGTERM"
else
	wait "$vsock_pid"
	grep -qF "vsock is not available on this kernel" "$out" || fail "softtdx qgs --vsock"
fi

SOFTTDX_DATA_DIR=/proc/softtdx/none "$softtdx" qgs --socket "$work/s2" >"$out" 2>&1
got=$?
[ "$got" -eq 1 ] && grep -qF "cannot create /proc/softtdx/none: No such file or directory" "$out" ||
	fail "qgs with an unusable data directory: exit $got"
exit "$failed"

#!/bin/sh
# The softtdx command line: exact exit status and message of each error
# path, and a successful measure of Debian's OVMF.fd when it is installed.
#   test_softtdx.sh SOFTTDX_BINARY
set -u
softtdx=$1
ovmf=/usr/share/ovmf/OVMF.fd
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect STATUS TEXT ARGS...: exit status STATUS and TEXT in the output.
expect() {
	status=$1 text=$2
	shift 2
	"$softtdx" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" -ne "$status" ] || ! grep -qF -- "$text" "$out"; then
		echo "FAIL: softtdx $*: exit $got (want $status), output:" >&2
		cat "$out" >&2
		failed=1
	fi
}

expect 2 "usage: softtdx measure"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 0 "usage: softtdx measure" --help
expect 2 "-bios FILE is required" measure
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
exit "$failed"

# Sourced by the CLI test scripts: a scratch directory ($work, removed at
# exit with any QGS the script started as $qgs_pid), a data directory of
# its own for softtdx's keys, and the checks.  The script sets $softtdx.
failed=0
work=$(mktemp -d)
out=$work/out
qgs_pid=
cleanup() {
	[ -n "$qgs_pid" ] && kill "$qgs_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export SOFTTDX_DATA_DIR="$work/data"

fail() {
	echo "FAIL: $*" >&2
	cat "$out" >&2
	failed=1
}

# expect STATUS TEXT ARGS...: `softtdx ARGS` exits STATUS with TEXT in its output.
expect() {
	status=$1 text=$2
	shift 2
	"$softtdx" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" -ne "$status" ] || ! grep -qF -- "$text" "$out"; then
		fail "softtdx $*: exit $got (want $status, '$text')"
	fi
}

# started LOG: up to 10 s for a QGS to say it listens.
started() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

#!/bin/sh
# Debian's 6.12 kernel as a TD through softtdx's TDVF (-kernel), with the
# busybox initramfs fixture.sh builds (the kernel fetched with apt-get
# download into the build tree on first use), on 1 and on 4 vCPUs.  The TD
# must detect TDX, run /init, see tdx_guest in /proc/cpuinfo, get a TDREPORT
# from /dev/tdx_guest and a quote through configfs-tsm with the REPORTDATA
# this script chose (the quote verified here with softtdx quote verify, both
# naming the TD's MRTD) and power off (status 0); `softtdx measure`
# must predict the MRTD run reports.  Then -kernel's refusals.
#   test_linux_boot.sh SOFTTDX FIXTURE_DIR TDREPORT_PROGRAM
set -u
softtdx=$1
fixtures=$2
tdreport=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ -f "$work/serial" ] && tail -30 "$work/serial"; exit 1; }

kernel=$(sh "$(dirname "$0")/fixture.sh" "$fixtures" "$work/initrd" "$tdreport")
case $? in
0) ;;
77) echo "SKIP: $kernel"; exit 77 ;;
*) fail "$kernel" ;;
esac

# 64 bytes of REPORTDATA: 32 random bytes in hex, fresh for this run.
reportdata=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
append="console=ttyS0 softtdx.reportdata=$reportdata"
"$softtdx" qgs --socket "$work/qgs.sock" >"$work/qgs.log" 2>&1 &
qgs=$!
trap 'kill $qgs 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -S "$work/qgs.sock" ] && break; sleep 0.1; done

# One boot with -smp N: TDX detected, /init on N CPUs, tdx_guest, a quote
# with this run's REPORTDATA that verifies and names the TD's MRTD, poweroff.
boot() {	# N
	rm -f "$work/serial" "$work/quote"
	"$softtdx" run -kernel "$kernel" -initrd "$work/initrd" -append "$append" \
		-m 512M -smp "$1" -serial "file:$work/serial" --quote-socket "$work/qgs.sock" \
		--quote-out "$work/quote" >"$work/out" 2>&1 || fail "-smp $1: status $? ($(cat "$work/out"))"
	grep -q "tdx: Guest detected" "$work/serial" || fail "-smp $1: no 'tdx: Guest detected'"
	grep -q "softtdx-init: up, $1 cpus" "$work/serial" || fail "-smp $1: /init did not run on $1 CPUs"
	grep -q "softtdx-init: tdx_guest" "$work/serial" || fail "-smp $1: no tdx_guest in /proc/cpuinfo"
	grep -q "softtdx-init: quote [1-9][0-9]* bytes from tdx_guest" "$work/serial" ||
		fail "-smp $1: no quote through configfs-tsm"
	grep -q "reboot: Power down" "$work/serial" || fail "-smp $1: no power-off"
	grep -q "nokaslr\|no5lvl\|nopku" "$work/serial" && fail "a workaround on the command line"
	"$softtdx" quote verify "$work/quote" >"$work/verify" 2>&1 ||
		fail "-smp $1: the quote does not verify: $(cat "$work/verify")"
	want=$(printf '%s' "$reportdata" | od -An -tx1 | tr -d ' \n')
	grep -q "^REPORTDATA *$want\$" "$work/verify" || fail "the quote's REPORTDATA is not this run's"
	run_mrtd=$(sed -n 's/^softtdx run: MRTD //p' "$work/out")
	grep -q "^MRTD *$run_mrtd\$" "$work/verify" || fail "the quote's MRTD is not the TD's"
	# TDX_CMD_GET_REPORT0: REPORTMACSTRUCT.REPORTDATA at byte 128, TDINFO.MRTD at 528.
	report=$(sed -n 's/^softtdx-init: tdreport \([0-9a-f]*\).*/\1/p' "$work/serial")
	[ ${#report} -eq 2048 ] || fail "-smp $1: no TDREPORT from /dev/tdx_guest"
	[ "$(echo "$report" | cut -c257-384)" = "$want" ] ||
		fail "-smp $1: the TDREPORT's REPORTDATA is not this run's"
	[ "$(echo "$report" | cut -c1057-1152)" = "$run_mrtd" ] ||
		fail "-smp $1: the TDREPORT's MRTD is not the TD's"
	measured=$("$softtdx" measure -kernel "$kernel" -initrd "$work/initrd" -append "$append" \
		   -m 512M -smp "$1" | sed -n 's/^MRTD: //p')
	[ -n "$run_mrtd" ] && [ "$run_mrtd" = "$measured" ] ||
		fail "-smp $1: softtdx measure says $measured, the TD was built with $run_mrtd"
}
boot 1
boot 4

# Refusals, each before a TD exists.
expect() {	# STATUS MESSAGE ARGS...
	want=$1 msg=$2
	shift 2
	"$softtdx" run "$@" >"$work/out" 2>&1
	st=$?
	[ $st -eq "$want" ] || fail "$* ended with $st, not $want: $(cat "$work/out")"
	grep -q -- "$msg" "$work/out" || fail "$*: no '$msg' in: $(cat "$work/out")"
}
printf 'not a kernel' > "$work/junk"
expect 1 "not a bzImage" -kernel "$work/junk"
expect 1 "cannot open" -kernel "$work/missing"
expect 1 "give the TD more memory" -kernel "$kernel" -m 32M
expect 1 "-append: 3000 bytes, the kernel takes 2047 at most" -kernel "$kernel" \
	-append "$(head -c 3000 /dev/zero | tr '\0' x)"
expect 2 "-initrd only allowed with -kernel option" --payload "$work/junk" -initrd "$work/junk"
expect 2 "-append only allowed with -kernel option" --payload "$work/junk" -append x
expect 2 "give -bios FILE, --payload FILE, -kernel FILE" -kernel "$kernel" --payload "$work/junk"
expect 1 "OVMF loads a kernel itself" -bios /usr/share/ovmf/OVMF.fd -kernel "$kernel"
echo "PASS"

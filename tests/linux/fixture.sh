#!/bin/sh
# The Linux TD fixture shared by the linux-boot test and bench/linux: Debian's
# 6.12 kernel (the package linux-image-6.12-amd64 names, fetched with
# apt-get download from the machine's mirror into FIXTURE_DIR once) and an
# initramfs of busybox-static with the kernel's configfs, tsm and tdx-guest
# modules (and TDREPORT_PROGRAM as /bin/tdreport when given).  Its /init
# reports, and with softtdx.reportdata=HEX on the command line prints a
# TDREPORT for it from /dev/tdx_guest and asks configfs-tsm for a quote;
# then it powers off.
#   fixture.sh FIXTURE_DIR INITRD_OUT [TDREPORT_PROGRAM]   prints the kernel's path
# Exit 77 when the kernel cannot be fetched, 1 on any other failure.
set -u
fixtures=$1
initrd=$2
tdreport=${3:-}

kernel=$(ls "$fixtures"/boot/vmlinuz-6.12.* 2>/dev/null | head -1)
if [ -z "$kernel" ]; then
	mkdir -p "$fixtures"
	pkg=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	      awk '/Depends: linux-image-6.12/ { print $2; exit }')
	if [ -z "$pkg" ] || ! (cd "$fixtures" && apt-get download "$pkg" >/dev/null 2>&1); then
		echo "cannot download linux-image-6.12-amd64 (no Debian mirror reachable?)"
		exit 77
	fi
	dpkg-deb -x "$fixtures"/"$pkg"_*.deb "$fixtures" || { echo "cannot unpack $pkg"; exit 1; }
	kernel=$(ls "$fixtures"/boot/vmlinuz-6.12.* | head -1)
fi
[ -x /bin/busybox ] || { echo "/bin/busybox is missing (package busybox-static)"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/"
[ -z "$tdreport" ] || cp "$tdreport" "$root/bin/tdreport" || { echo "no $tdreport"; exit 1; }
for m in fs/configfs/configfs drivers/virt/coco/tsm drivers/virt/coco/tdx-guest/tdx-guest; do
	xz -dc "$fixtures"/lib/modules/*/kernel/$m.ko.xz > "$root/${m##*/}.ko" ||
		{ echo "no $m module in the kernel package"; exit 1; }
done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "softtdx-init: up, $(nproc) cpus"
grep -q tdx_guest /proc/cpuinfo && echo "softtdx-init: tdx_guest"
data=$(sed -n 's/.*softtdx.reportdata=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
if [ -n "$data" ] && insmod /configfs.ko && insmod /tsm.ko && insmod /tdx-guest.ko &&
   mount -t devtmpfs dev /dev && mount -t configfs none /sys/kernel/config; then
	[ -x /bin/tdreport ] && /bin/tdreport "$(printf '%s' "$data" | od -An -tx1 | tr -d ' \n')"
	r=/sys/kernel/config/tsm/report/q
	mkdir $r
	printf '%s' "$data" > $r/inblob
	echo "softtdx-init: quote $(cat $r/outblob | wc -c) bytes from $(cat $r/provider)"
fi
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$initrd" ||
	{ echo "cannot build the initramfs"; exit 1; }
echo "$kernel"

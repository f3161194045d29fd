#!/bin/busybox sh
# /init of the initramfs that scripts/kernels.mjs builds for each Debian kernel (see scripts/_qemu/initramfs.mjs).
#
# It loads the modules listed in /modules/order (in that order, already decompressed), mounts the host's root
# read-only over 9p (mount tag "hostroot"), puts a tmpfs overlay on top of it so that everything is writable (or,
# when overlayfs is unavailable, tmpfs on /tmp, /root, /var/tmp and /run), mounts the per-boot output directory
# (tag "ringsideout", writable, on the host) at /run/ringside inside, chroots there and runs
# /run/ringside/run.sh, the steps the host wrote. Then it powers off.
#
# The host reads these marker lines from the serial console:
#   RINGSIDE-BOOTED <uptime>        the root is mounted and run.sh is about to start
#   RINGSIDE-RESULT <rc>            run.sh exited with <rc>
#   RINGSIDE-FATAL <reason>         init could not get that far
# (run.sh prints RINGSIDE-STEP-BEGIN/END lines of its own.)

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
# Keep the console for our output: only kernel errors from here on.
echo "3 4 1 3" > /proc/sys/kernel/printk

fatal() {
  echo "RINGSIDE-FATAL $*"
  sync
  poweroff -f
  reboot -f
  sleep 5
  exit 1
}

echo "RINGSIDE-INIT $(cut -d' ' -f1 /proc/uptime) $(uname -r)"

if [ -f /modules/order ]; then
  for m in $(cat /modules/order); do
    insmod "/modules/$m.ko" || echo "RINGSIDE-WARN insmod $m failed"
  done
fi

mkdir -p /host /newroot /rw /out
# msize: as large as old virtio transports accept (5.10 caps it near 512 KiB).
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host ||
  fatal "cannot mount the host root over 9p (see the kernel messages above)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ringsideout /out ||
  fatal "cannot mount the output directory over 9p"

mount -t tmpfs -o mode=0755,size=75% tmpfs /rw
mkdir -p /rw/upper /rw/work
if mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot 2>/dev/null; then
  root=/newroot
  echo "RINGSIDE-ROOT overlay"
else
  root=/host
  for d in root var/tmp; do
    [ -d "$root/$d" ] && mount -t tmpfs -o mode=0755 tmpfs "$root/$d"
  done
  echo "RINGSIDE-ROOT 9p-readonly (no overlayfs: tmpfs on /tmp, /run, /root, /var/tmp)"
fi

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t devtmpfs devtmpfs "$root/dev" 2>/dev/null || mount -o bind /dev "$root/dev"
mkdir -p "$root/dev/pts" "$root/dev/shm" 2>/dev/null
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$root/dev/pts" 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
# /tmp stays the host's under the overlay (writes land in the tmpfs upper layer): a checkout under /tmp, as a CI
# clone may be, must be visible in the guest. Without overlayfs it gets a tmpfs of its own.
[ "$root" = /host ] && mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mkdir -p "$root/run/ringside"
mount -o bind /out "$root/run/ringside" || fatal "cannot bind the output directory"
[ -d /sys/fs/cgroup ] && mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup" 2>/dev/null

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
hostname ringside-qemu

echo "RINGSIDE-BOOTED $(cut -d' ' -f1 /proc/uptime)"
chroot "$root" /bin/sh /run/ringside/run.sh
rc=$?
echo "RINGSIDE-RESULT $rc"
sync
poweroff -f
reboot -f

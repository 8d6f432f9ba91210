#!/bin/sh
# Power-button handler of the tiny guest: busybox acpid runs /etc/acpi/PWRF/00000080 when the
# host presses the ACPI power button (virsh shutdown, QMP system_powerdown). PID 1 is a plain
# shell that ignores poweroff's signal, so power off directly, after flushing and unmounting
# whatever a user script mounted.
echo "cloudgate-acpi: power button, powering off" >/dev/console
sync
umount -a -r 2>/dev/null
poweroff -f

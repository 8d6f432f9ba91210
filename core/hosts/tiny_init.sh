#!/bin/sh
# /init of Cloudgate's tiny test guest: busybox sh as PID 1; the initramfs is the root filesystem.
#
# What it prints on the serial console is a contract grepped by our tests, in this order:
#   CLOUDGATE-TINY-BOOT-OK
#   cloudgate-instance-id: <instance-id>          \
#   cloudgate-hostname: <local-hostname>           | from the NoCloud config drive (label cidata),
#   cloudgate-ssh-key-md5: <aa:bb:...>             | one md5 + sha256 pair per public key, as
#   cloudgate-ssh-key-sha256: SHA256:<base64>      | ssh-keygen -l -E md5 / -E sha256 print them
#   cloudgate-user-data-begin ... user-data ... cloudgate-user-data-end
#   cloudgate-user-script-begin ... output ... cloudgate-user-script-end rc=<N>   (if "#!")
#     or, without a config drive, only: cloudgate-config-drive: none
#   cloudgate-dhcp: eth0 <ipv4> | eth0 none | no eth0
#   CLOUDGATE-TINY-READY
# and on an ACPI power-button press: cloudgate-acpi: power button, powering off
# Everything must stay fast: the guest usually runs under TCG.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root

mount -t devtmpfs devtmpfs /dev  # device nodes, e.g. for user scripts that write to /dev/vdb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
stty -onlcr  # no CR added before LF: the console log holds user-data byte for byte
echo CLOUDGATE-TINY-BOOT-OK

# Print a file so that whatever follows starts on a line of its own.
show() { cat "$1"; [ -z "$(tail -c 1 "$1")" ] || echo; }

# Modules in dependency order, resolved from modules.dep when the image was built.
while read -r module; do insmod "/lib/modules/$module"; done </lib/modules/load-order
# The power button is an input device now; acpid runs /etc/acpi/PWRF/00000080 when pressed.
acpid -l /dev/console -p /run/acpid.pid

# DHCP runs while the config drive is read: at most 3 discovers 1 s apart, then udhcpc goes to
# the background (and keeps trying, or renews the lease) on its own.
if [ -e /sys/class/net/eth0 ]; then
    udhcpc -i eth0 -t 3 -T 1 -b >/dev/null 2>&1 &
    dhcp_pid=$!
fi

mkdir -p /run/cidata
if cidata=$(findfs LABEL=cidata 2>/dev/null) && mount -t iso9660 -o ro "$cidata" /run/cidata
then
    # Quotes and CRs stripped, so the YAML scalars we need can be read with sed and awk.
    tr -d "\r\"'" </run/cidata/meta-data >/run/meta-data
    cp /run/cidata/user-data /run/user-data 2>/dev/null || : >/run/user-data
    umount /run/cidata
    field() { sed -n "s/^$1:[[:space:]]*//p" /run/meta-data | sed 's/[[:space:]]*$//;q'; }
    hostname=$(field local-hostname)
    [ -z "$hostname" ] || hostname "$hostname"
    echo "cloudgate-instance-id: $(field instance-id)"
    echo "cloudgate-hostname: $hostname"
    # Key blobs under public-keys, whether its items are a list or a name -> key mapping.
    blobs=$(awk '/^[^ \t#-]/ { inkeys = /^public-keys:/ }
        inkeys { for (i = 1; i < NF; i++) if ($i ~ /^(ssh|ecdsa|sk)-/) { print $(i + 1); break } }
        ' /run/meta-data)
    for blob in $blobs; do
        md5=$(echo "$blob" | base64 -d | md5sum | cut -c 1-32 | sed 's/../&:/g; s/:$//')
        sha256=$(echo "$blob" | base64 -d | sha256sum | cut -c 1-64 | xxd -r -p | base64)
        echo "cloudgate-ssh-key-md5: $md5"
        echo "cloudgate-ssh-key-sha256: SHA256:$(echo "$sha256" | tr -d =)"
    done
    echo cloudgate-user-data-begin
    show /run/user-data
    echo cloudgate-user-data-end
else
    echo "cloudgate-config-drive: none"
fi

dhcp="no eth0"
if [ -n "$dhcp_pid" ]; then
    wait "$dhcp_pid"  # before the user script, which may well want the network
    dhcp="eth0 $(cat /run/dhcp-eth0 2>/dev/null || echo none)"
fi

if [ "$(head -c 2 /run/user-data 2>/dev/null)" = "#!" ]; then
    echo cloudgate-user-script-begin
    cp /run/user-data /run/user-script
    chmod +x /run/user-script
    (cd / && /run/user-script) </dev/null >/run/user-script.log 2>&1
    rc=$?
    show /run/user-script.log
    echo "cloudgate-user-script-end rc=$rc"
fi

echo "cloudgate-dhcp: $dhcp"
echo CLOUDGATE-TINY-READY
# PID 1 must never exit; the shell also reaps orphaned processes whenever sleep returns.
while :; do sleep 3600; done

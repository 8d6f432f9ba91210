#!/bin/sh
# udhcpc event script of the tiny guest (/etc/udhcpc/default.script): apply the lease to the
# interface and record the address in /run/dhcp-<interface>, which /init prints. No resolver is
# configured: the guest is meant to connect nowhere but its DHCP server.
case "$1" in
deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound | renew)
    ifconfig "$interface" "$ip" netmask "$subnet" ${broadcast:+broadcast "$broadcast"}
    [ -z "$router" ] || ip route replace default via "${router%% *}" dev "$interface"
    echo "$ip" >"/run/dhcp-$interface"
    ;;
esac

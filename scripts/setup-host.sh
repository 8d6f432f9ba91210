#!/usr/bin/env bash
# Prepares this machine to run Cloudgate: Debian packages, the users and groups libvirt needs,
# virtlogd and libvirtd (there is no systemd here), then waits until qemu:///system answers.
# Idempotent: a second run installs nothing and starts nothing that is already running.
set -euo pipefail

PACKAGES=(
  # hypervisor and libvirt
  qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  libvirt-dev pkg-config dnsmasq-base
  # isolated networks (libvirt's firewall rules) and security groups (nwfilter) with libvirt's
  # standard filters (clean-traffic keeps each guest to its own addresses), and iproute2 for
  # reading the host's own subnets
  iptables ebtables iproute2 libvirt-daemon-config-nwfilter
  # config drives (ISO 9660) and XML checks
  genisoimage libxml2-utils
  # the offline tiny guest image: busybox, initramfs, a FAT boot partition with syslinux
  busybox-static cpio syslinux syslinux-common mtools dosfstools fdisk
  # PostgreSQL, for the tests that prove the schema and the job queue on it
  postgresql
  # building libvirt-python and the project's virtualenv
  gcc python3-dev python3-venv
  # the real rOCCI-cli (OCCI client) the tests drive, run from its sources by Debian's Ruby 3.1
  # with the gems it needs packaged by Debian (no rubygems), and git for scripts/setup-rocci.sh
  # to fetch those sources when ../shared/tools/rocci is not beside the repository
  ruby ruby-httparty ruby-hashie ruby-uuidtools ruby-activesupport ruby-settingslogic ruby-json
  ruby-highline git
)

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=PATH "$0" "$@"
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# apt-get download (used to build the tiny image) needs package lists even when nothing was missing.
if ! apt-cache show busybox-static >/dev/null 2>&1; then
  apt-get update -qq
fi

getent group kvm >/dev/null || groupadd --system kvm
getent group libvirt >/dev/null || groupadd --system libvirt
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
if ! getent passwd libvirt-qemu >/dev/null; then
  useradd --system --gid libvirt-qemu --groups kvm --home-dir /var/lib/libvirt \
    --no-create-home --shell /usr/sbin/nologin libvirt-qemu
fi
if [ -e /dev/kvm ]; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
mkdir -p /var/log/libvirt /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt

pgrep -x virtlogd >/dev/null || virtlogd --daemon
pgrep -x libvirtd >/dev/null || libvirtd --daemon

answering=no
for _ in $(seq 1 60); do
  if virsh --connect qemu:///system version >/dev/null 2>&1; then
    answering=yes
    break
  fi
  sleep 1
done
if [ "$answering" = no ]; then
  echo "setup-host: libvirtd did not answer on qemu:///system within 60s" >&2
  tail -n 20 /var/log/libvirt/libvirtd.log >&2 || true
  exit 1
fi
# A libvirtd started before libvirt-daemon-config-nwfilter was installed has not read the
# standard filters; defining them from their files needs no restart.
if ! virsh --connect qemu:///system nwfilter-list | grep -qw clean-traffic; then
  for filter in /etc/libvirt/nwfilter/*.xml; do
    virsh --connect qemu:///system nwfilter-define "$filter" >/dev/null
  done
fi
echo "setup-host: libvirtd answers on qemu:///system"

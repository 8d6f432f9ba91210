#!/usr/bin/env bash
# Makes the real rOCCI-cli ready for the OCCI tests: the unmodified source trees of rOCCI-cli
# 4.3.10, rOCCI-api 4.3.14 and rOCCI-core 4.3.6 go into $CLOUDGATE_ROCCI_HOME (by default
# $CLOUDGATE_TEST_CACHE/rocci), linked from ../shared/tools/rocci when that folder sits beside
# this repository, else cloned at their tags from github.com/gwdg. scripts/rocci/occi runs them with
# Debian's Ruby (scripts/setup-host.sh installs it and the gems) and our scripts/rocci/shim.rb.
# Idempotent: a second run only checks that the client answers with its version.
set -euo pipefail
cd "$(dirname "$0")/.."

CLI_VERSION=4.3.10
TREES=(  # tree, tag, the file that states its version
  "rOCCI-cli v$CLI_VERSION lib/occi/cli/version.rb"
  "rOCCI-api v4.3.14 lib/occi/api/version.rb"
  "rOCCI-core v4.3.6 lib/occi/version.rb"
)
home=${CLOUDGATE_ROCCI_HOME:-${CLOUDGATE_TEST_CACHE:-/var/tmp/cloudgate-test-cache}/rocci}
shared=$(cd .. && pwd)/shared/tools/rocci

fail() {
  echo "setup-rocci: $*" >&2
  exit 1
}

# Puts one tree at $home/$name: a link to ../shared's copy, else a shallow clone of the tag.
# A tree already there is kept; a link whose target went away is replaced.
provide_tree() {
  local name=$1 tag=$2 target=$home/$1
  [ -e "$target" ] && return
  [ -L "$target" ] && rm "$target"
  if [ -d "$shared/$name/lib" ]; then
    echo "setup-rocci: $name from $shared"
    ln -s "$shared/$name" "$target"
  else
    echo "setup-rocci: cloning github.com/gwdg/$name at $tag"
    rm -rf "$target.partial"
    git -c advice.detachedHead=false clone --quiet --depth 1 --branch "$tag" \
      "https://github.com/gwdg/$name.git" "$target.partial" \
      || fail "could not clone gwdg/$name $tag (and no ../shared/tools/rocci)"
    mv "$target.partial" "$target"
  fi
}

command -v ruby >/dev/null || fail "no ruby on PATH; scripts/setup-host.sh installs it"
mkdir -p "$home"
for tree in "${TREES[@]}"; do
  read -r name tag version_file <<<"$tree"
  provide_tree "$name" "$tag"
  grep -q "VERSION = \"${tag#v}\"" "$home/$name/$version_file" \
    || fail "$home/$name is not $name $tag (see $version_file); remove it and run again"
done

answer=$(CLOUDGATE_ROCCI_HOME=$home scripts/rocci/occi --version 2>&1) \
  || fail "scripts/rocci/occi --version failed: $answer"
[ "$answer" = "$CLI_VERSION" ] \
  || fail "scripts/rocci/occi --version printed '$answer', expected $CLI_VERSION"
echo "setup-rocci: rOCCI-cli $answer ready in $home"

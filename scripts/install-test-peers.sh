#!/usr/bin/env bash
# Installs the real peers the tests talk to (idempotent): Debian's xenstore-utils and pyxs, a C
# compiler for the reference daemons' hypervisor stand-in, Xen 4.17's daemon runtime, afl++
# for the fuzz smoke run (tests/Fuzz), OpenSSH's server and client (tests/Pester/Remoting.Tests.ps1
# starts sshd servers of its own; no system sshd is started here), clang and zlib's headers for
# the Native AOT publish of the daemon host (./build.sh native; .NET's Native AOT prerequisites
# on Debian and Ubuntu, beside the gcc and libc6-dev above), and unpacks cxenstored,
# oxenstored and test-xenstore through the shared reference scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(xenstore-utils python3-pyxs gcc libc6-dev
          libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenmisc4.17
          libxentoollog1 libxentoolcore1 libxendevicemodel1 libyajl2 libxenstore4
          afl++ openssh-server openssh-client
          clang zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
# Installing openssh-server would start the system's sshd on port 22 where an init system runs;
# the tests start their own. While installing, a policy-rc.d that denies every start keeps it
# stopped (only if the machine has none: a container image's own policy stays as it is).
policy=/usr/sbin/policy-rc.d
if (( ${#missing[@]} )) && [[ ! -e $policy ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f "$policy"' EXIT
fi
if (( ${#missing[@]} )); then
    echo "installing: ${missing[*]}"
    as_root apt-get install -y --no-install-recommends "${missing[@]}" || {
        as_root apt-get update
        as_root apt-get install -y --no-install-recommends "${missing[@]}"
    }
fi

SHARED=${XENSTOREPS_SHARED:-$(cd .. && pwd)/shared}
if [[ ! -x $SHARED/anchor/start-anchor.sh ]]; then
    echo "the shared reference tooling is missing at $SHARED (it sits beside the checkout)" >&2
    exit 1
fi
if [[ ! -x ${XEN_ANCHOR_CACHE:-/tmp/xen}/usr/lib/xen-4.17/bin/test-xenstore ]]; then
    scratch=$(mktemp -d /tmp/xsps-setup-XXXXXX)
    for kind in cxenstored oxenstored; do
        bash "$SHARED/anchor/start-anchor.sh" "$kind" "$scratch/$kind" >/dev/null
        bash "$SHARED/anchor/stop-anchor.sh" "$scratch/$kind" 2>/dev/null
    done
    rm -rf "$scratch"
fi

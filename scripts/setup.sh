#!/usr/bin/env bash
# Installs everything NetTrace needs on a fresh Debian 12 machine that already has the .NET SDK.
# Idempotent: packages already present are not reinstalled; a second run only restores NuGet packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, with why we need each:
#   clang llvm libbpf-dev bpftool linux-libc-dev libelf-dev zlib1g-dev  -> build the CO-RE eBPF programs
#   libbpf1 libpcap0.8 libpcap-dev                                       -> runtime libbpf / libpcap, C benchmark loop
#   iproute2 iptables nftables conntrack                                 -> labs and integration tests (namespaces, NAT)
#   tshark bpftrace                                                      -> peers in benchmarks
#   tcpdump                                                              -> pre/post-NAT captures of `nettrace lab snat-race --capture-dir`
#   containerd runc containernetworking-plugins                          -> real CRI in metadata tests
#   libc6-dev                                                            -> gcc -static for the tests' pause image (libc.a)
#   chromium fonts-dejavu-core libfontconfig1                            -> browser test of the HTML report, chart fonts
#   time python3                                                         -> bench/analyzer-bench.sh (/usr/bin/time -v for peak RSS, its report)
PKGS=(clang llvm libbpf-dev bpftool linux-libc-dev libelf-dev zlib1g-dev libbpf1
      libpcap0.8 libpcap-dev iproute2 iptables nftables conntrack
      tshark bpftrace containerd runc containernetworking-plugins libc6-dev
      chromium fonts-dejavu-core libfontconfig1 procps gcc make tcpdump iputils-ping
      time python3 ethtool)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
echo "setup: restoring NuGet packages"
dotnet restore NetTrace.sln --verbosity quiet

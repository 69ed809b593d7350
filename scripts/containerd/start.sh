#!/usr/bin/env bash
# Starts a private containerd (CRI plugin, runc, CNI bridge) for NetTrace's metadata tests. Needs root.
# Everything it creates lives under DIR, except what containerd/CNI always put elsewhere (shim sockets in
# /run/containerd/s, netns files in /var/run/netns, the bridge, pod cgroups): stop.sh removes those.
#   usage: start.sh DIR
#   env:   NT_CNI_SUBNET  (default 10.88.N.0/24, N derived from DIR)   NT_CNI_BRIDGE (default ntbr<hash>)
# Prints the env file it wrote (DIR/env: CONTAINERD_SOCKET, CONTAINERD_PID, SANDBOX_IMAGE, CNI_BRIDGE, ...).
# Idempotent: when DIR's containerd already answers, it only prints the env file again.
set -euo pipefail
dir=${1:?usage: start.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "start.sh: needs root" >&2; exit 1; }
for tool in containerd ctr runc gcc; do
  command -v "$tool" >/dev/null || { echo "start.sh: '$tool' missing; run ./scripts/setup.sh" >&2; exit 1; }
done
for plugin in bridge host-local loopback; do
  [ -x "/usr/lib/cni/$plugin" ] || { echo "start.sh: /usr/lib/cni/$plugin missing (containernetworking-plugins)" >&2; exit 1; }
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/containerd.sock"
image="nettrace.local/pause:1"

answers() { ctr --address "$sock" --timeout 2s version >/dev/null 2>&1; }

if [ -f "$dir/containerd.pid" ] && kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null && answers; then
  cat "$dir/env"; exit 0
fi

hash=$(printf '%s' "$dir" | sha256sum | cut -c1-8)
bridge=${NT_CNI_BRIDGE:-ntbr$hash}
subnet=${NT_CNI_SUBNET:-10.88.$(( 16#${hash:0:2} % 200 + 20 )).0/24}
net_name="nettrace-$hash"

mkdir -p "$dir/root" "$dir/state" "$dir/cni/net.d" "$dir/cni/ipam" "$dir/opt" "$dir/logs"
# No isGateway and no routes: pods reach each other on the bridge and have no way out of the node.
# ipMasq false: CNI adds no iptables rules.
cat > "$dir/cni/net.d/10-$net_name.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$net_name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/cni/ipam",
        "ranges": [[{ "subnet": "$subnet" }]]
      }
    },
    { "type": "loopback" }
  ]
}
JSON

cat > "$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
# Plugins that cannot work here; disabling them keeps the log about what matters.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$image"
  # runc may not lower oom_score_adj on this machine; without this every RunPodSandbox fails.
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
    max_conf_num = 1
TOML

"$here/build-pause-image.sh" "$dir/pause-image.tar" "$image"

setsid containerd --config "$dir/config.toml" >"$dir/logs/containerd.log" 2>&1 < /dev/null &
echo $! > "$dir/containerd.pid"

for _ in $(seq 1 100); do
  answers && break
  kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || { echo "start.sh: containerd exited:" >&2; tail -20 "$dir/logs/containerd.log" >&2; exit 1; }
  sleep 0.1
done
answers || { echo "start.sh: containerd did not answer on $sock within 10 s" >&2; tail -20 "$dir/logs/containerd.log" >&2; exit 1; }

ctr --address "$sock" -n k8s.io images import "$dir/pause-image.tar" >/dev/null

cat > "$dir/env" <<ENV
CONTAINERD_DIR=$dir
CONTAINERD_SOCKET=$sock
CONTAINERD_PID=$(cat "$dir/containerd.pid")
SANDBOX_IMAGE=$image
CNI_BRIDGE=$bridge
CNI_SUBNET=$subnet
CNI_NETWORK=$net_name
ENV
cat "$dir/env"

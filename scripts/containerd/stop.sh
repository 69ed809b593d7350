#!/usr/bin/env bash
# Tears down a containerd started by start.sh DIR and everything it left outside DIR. Needs root.
# The normal path stops and removes pod sandboxes through the CRI API before calling this (the test fixture
# does); this script is also the backstop after a crash: it kills what is left through ctr, then removes the
# netns files, the CNI bridge, the pod cgroup parents (kubelet's job on a real node) and DIR.
#   usage: stop.sh DIR
# Idempotent; never fails on something already gone.
set -uo pipefail
dir=${1:?usage: stop.sh DIR}
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)
[ -f "$dir/env" ] && . "$dir/env"
sock="$dir/containerd.sock"
pid=$(cat "$dir/containerd.pid" 2>/dev/null || true)

answers() { ctr --address "$sock" --timeout 2s version >/dev/null 2>&1; }

# A containerd that crashed or was killed leaves its pods running: start it again on the same state so it
# reconnects to their shims and the pods can be killed through it.
if ! { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; } && [ -f "$dir/config.toml" ] && [ -d "$dir/state" ]; then
  setsid containerd --config "$dir/config.toml" >>"$dir/logs/containerd.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/containerd.pid"
  for _ in $(seq 1 100); do answers && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi

netns_files=()
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && answers; then
  c="ctr --address $sock --timeout 10s -n k8s.io"
  for id in $($c containers ls -q 2>/dev/null); do
    # The OCI spec names the sandbox's netns file (/var/run/netns/cni-<uuid>) and the pod uid label.
    info=$($c containers info "$id" 2>/dev/null || true)
    while read -r f; do [ -n "$f" ] && netns_files+=("$f"); done < <(grep -o '/var/run/netns/cni-[0-9a-f-]*' <<<"$info" | sort -u)
    while read -r u; do [ -n "$u" ] && echo "$u" >> "$dir/pod-uids"; done < <(grep -o '"io.kubernetes.pod.uid": *"[^"]*"' <<<"$info" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
    $c tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $($c containers ls -q 2>/dev/null); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do $c tasks delete -f "$id" >/dev/null 2>&1 && break; sleep 0.2; $c tasks ls -q 2>/dev/null | grep -qx "$id" || break; done
    $c containers delete "$id" >/dev/null 2>&1 || true
  done
fi

if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
fi
# Shims outlive containerd; kill the ones that belong to this instance (their command line names DIR's socket).
for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $sock( |$)" 2>/dev/null); do kill -KILL "$shim" 2>/dev/null || true; done

for f in "${netns_files[@]}"; do
  umount "$f" 2>/dev/null; rm -f "$f"
done

[ -n "${CNI_BRIDGE:-}" ] && ip link show "$CNI_BRIDGE" >/dev/null 2>&1 && ip link delete "$CNI_BRIDGE"

if [ -f "$dir/pod-uids" ]; then
  for uid in $(sort -u "$dir/pod-uids"); do
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
      for qos in besteffort burstable ""; do
        d="${h}kubepods/${qos:+$qos/}pod$uid"
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
        rmdir "$d" 2>/dev/null
      done
    done
  done
  # The shared parents go only when empty (rmdir refuses otherwise), so a real kubelet's pods are safe.
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for d in "${h}kubepods/besteffort" "${h}kubepods/burstable" "${h}kubepods"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  done
fi

# Snapshot and shm mounts under DIR must go before the directory can.
grep -o " $dir/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf "$dir"
exit 0

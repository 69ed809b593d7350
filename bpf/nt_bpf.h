/* BPF-side helpers shared by every probe: header filling, socket/skb decoding, filters, and the
 * per-object ring buffer with its lost-events counter. */
#ifndef NT_BPF_H
#define NT_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "nt_common.h"

#define NT_AF_INET 2
#define NT_AF_INET6 10
#define NT_ETH_P_IP 0x0800
#define NT_ETH_P_IPV6 0x86DD
#define NT_IPPROTO_ICMP 1
#define NT_IPPROTO_TCP 6
#define NT_IPPROTO_UDP 17
#define NT_IPPROTO_ICMPV6 58

char LICENSE[] SEC("license") = "GPL";

/* Events go to one ring buffer per object; user space may resize it before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Events the kernel could not hand over (ring buffer full, tracking map full): per CPU, summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

/* Puts a struct into the object's BTF (clang only emits types used by globals, function signatures or CO-RE
 * relocations), so the layout test can compare every event struct with its C# mirror. Use once per object in
 * a function that runs; the local type-id relocation is resolved by libbpf and compiles to nothing that matters. */
#define NT_BTF_KEEP(type) asm volatile("" :: "r"(bpf_core_type_id_local(type)))

static __always_inline void nt_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost_events, &zero);
	if (n)
		(*n)++;
}

/* Waking the reader costs an irq_work per event (a self-IPI: a VM exit on virtual machines), several µs each.
 * Wake it only once this much is waiting; user space also drains the ring whenever its poll times out, so
 * events are never later than that timeout. 0 = wake for every event. Set by user space before load. */
const volatile __u32 nt_wakeup_bytes = 0;

static __always_inline void nt_submit(void *e)
{
	__u64 flags = 0;
	if (nt_wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= nt_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void *nt_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		nt_count_lost();
	return e;
}

/* cgroup v2 id when the host uses v2; on v1-only hosts bpf_get_current_cgroup_id() answers the dummy root (1),
 * so take the kernfs id of the task's cpu-controller cgroup instead: that is the inode of its cgroupfs dir. */
static __always_inline __u64 nt_cgroup_id(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	if (id > 1)
		return id;
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		return id;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	int idx = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	if (idx < 0 || idx >= CGROUP_SUBSYS_COUNT)
		return id;
	bpf_probe_read_kernel(&css, sizeof(css), (void *)BPF_CORE_READ(t, cgroups) +
			      bpf_core_field_offset(struct css_set, subsys) + idx * sizeof(void *));
	if (!css)
		return id;
	return BPF_CORE_READ(css, cgroup, kn, id);
}

/* Log2 histogram bucket of v: slot i holds 2^i <= v < 2^(i+1) (slot 0 also holds 0); values past the last slot
 * land in it, so it is open-ended. A binary search over the bit position, unrolled: 6 compare-and-shift steps
 * whatever v is, instead of up to 64 for a bit-by-bit loop. */
static __always_inline __u32 nt_log2_slot(__u64 v, __u32 slots)
{
	__u32 r = 0;
#pragma unroll
	for (int shift = 32; shift > 0; shift >>= 1) {
		if (v >= (1ULL << shift)) {
			v >>= shift;
			r += shift;
		}
	}
	return r < slots ? r : slots - 1;
}

/* One value into a log2 histogram kept in a map value: its bucket, count, sum and maximum. Inlined with a constant
 * `slots`, so the verifier sees the bucket index bounded by the array the caller passes. */
static __always_inline void nt_hist_add(__u64 *buckets, __u32 slots, __u64 *count, __u64 *sum_ns, __u64 *max_ns, __u64 v)
{
	__u32 slot = nt_log2_slot(v, slots);
	if (slot < slots)
		buckets[slot]++;
	(*count)++;
	*sum_ns += v;
	if (v > *max_ns)
		*max_ns = v;
}

static __always_inline void nt_fill_header(struct nt_header *h, __u32 netns)
{
	__u64 pt = bpf_get_current_pid_tgid();
	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = nt_cgroup_id();
	h->netns = netns;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline __u32 nt_sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u32 nt_skb_netns(const struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return nt_sk_netns(sk);
	return 0;
}

static __always_inline int nt_is_v4_mapped(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

/* Reads the connection tuple of an inet socket. v4-mapped IPv6 sockets (dual-stack) report their IPv4 tuple. */
static __always_inline void nt_sk_tuple(const struct sock *sk, struct nt_tuple *t)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->protocol = BPF_CORE_READ(sk, sk_protocol);
	t->family = family;
	if (family == NT_AF_INET6) {
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		if (!nt_is_v4_mapped((const __u32 *)t->daddr))
			return;
		__builtin_memset(t->saddr, 0, sizeof(t->saddr));
		__builtin_memset(t->daddr, 0, sizeof(t->daddr));
		t->family = NT_AF_INET;
		t->v4_mapped = 1;
	}
	BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
	BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
}

static __always_inline int nt_is_inet(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == NT_AF_INET || family == NT_AF_INET6;
}

static __always_inline int nt_netns_ok(const volatile struct nt_filter *f, __u32 netns)
{
	return f->netns == 0 || f->netns == netns;
}

static __always_inline int nt_pid_ok(const volatile struct nt_filter *f, __u32 tgid)
{
	return f->pid == 0 || f->pid == tgid;
}

static __always_inline int nt_ports_ok(const volatile struct nt_filter *f, __u16 sport, __u16 dport)
{
	if (f->ports[0] == 0)
		return 1;
#pragma unroll
	for (int i = 0; i < NT_MAX_PORTS; i++) {
		__u16 p = f->ports[i];
		if (p != 0 && (p == sport || p == dport))
			return 1;
	}
	return 0;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/* Per-packet receive-path latency: an skb is stamped when it is queued for receive processing and measured when
 * netif_receive_skb starts processing it. These tracepoints fire for every packet on the node: the stamp is one
 * hash update, the measurement one lookup+delete and a histogram bump; headers are read only above the threshold.
 * Candidates: stamp tp_btf netif_rx > tracepoint net/netif_rx; optional veth stamp tp_btf net_dev_start_xmit >
 * tracepoint net/net_dev_start_xmit; measure tp_btf netif_receive_skb > tracepoint net/netif_receive_skb;
 * optional context hook softirq entry/exit (tp_btf > tracepoint). */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "nt_netrx_context.bpf.h"
#include "rxlatency.h"

const volatile struct rxlatency_config cfg = { .softirq_vec = 3 };

struct rx_stamp {
	__u64 ts_ns;
	__u64 head;     /* skb->head at the stamp: a freed and reused sk_buff carries another buffer */
	__u32 cpu;
	__u32 kind;     /* enum rxlat_stamp_kind */
};

/* In-flight packets keyed by sk_buff address. LRU: packets dropped between stamp and receive age out instead of
 * filling the map. User space sizes it for the backlogs of every CPU before load. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rx_stamp);
} stamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rxlat_hist);
} rx_hists SEC(".maps");

/* The tp_btf programs read skb fields directly (BTF-typed pointer: plain loads, fault-safe); the classic tracepoint
 * programs only have the address and go through bpf_probe_read_kernel (BPF_CORE_READ). Same logic either way. */
static __always_inline int stamp(__u64 skb, __u64 head, __u32 kind)
{
	struct rx_stamp s = {
		.ts_ns = bpf_ktime_get_ns(),
		.head = head,
		.cpu = bpf_get_smp_processor_id(),
		.kind = kind,
	};
	/* Overwrite: a veth transmit stamp is followed by netif_rx on the same CPU µs later (the backlog enqueue). */
	bpf_map_update_elem(&stamps, &skb, &s, BPF_ANY);
	return 0;
}

/* veth's rtnl_link_ops, learned from the first device whose kind reads "veth" (kallsyms has no data symbols
 * here): after that, telling veth from other devices is one pointer compare instead of a string read. */
__u64 veth_link_ops = 0;

static __always_inline int kind_is_veth(const char *kind)
{
	char k[5] = {};
	if (!kind || bpf_probe_read_kernel(k, sizeof(k), kind))
		return 0;
	return k[0] == 'v' && k[1] == 'e' && k[2] == 't' && k[3] == 'h' && k[4] == 0;
}

/* Only veth transmits hand the skb to a receive path on this node; other devices' transmits would only churn the map. */
static __always_inline int is_veth(__u64 ops, const char *kind)
{
	if (!ops)
		return 0;
	__u64 known = veth_link_ops;
	if (known)
		return ops == known;
	if (!kind_is_veth(kind))
		return 0;
	veth_link_ops = ops; /* every CPU learns the same value: a racing write is harmless */
	return 1;
}

struct l4_ports {
	__u16 sport;
	__u16 dport;
};

/* Fills the flow part of the event from the headers at skb->data (netif_receive_skb: the MAC header is pulled). */
static __always_inline void read_flow(const struct sk_buff *skb, struct rxlat_event *e)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	const unsigned char *l3 = BPF_CORE_READ(skb, data);
	const unsigned char *l4;

	if (proto == NT_ETH_P_IP) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3) || ip.version != 4)
			return;
		e->family = NT_AF_INET;
		e->protocol = ip.protocol;
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
		if (ip.frag_off & bpf_htons(0x1fff))
			return; /* not the first fragment: no L4 header */
		l4 = l3 + ip.ihl * 4;
	} else if (proto == NT_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3))
			return;
		e->family = NT_AF_INET6;
		e->protocol = ip6.nexthdr; /* extension headers are not walked: their packets keep addresses only */
		__builtin_memcpy(e->saddr, &ip6.saddr, 16);
		__builtin_memcpy(e->daddr, &ip6.daddr, 16);
		l4 = l3 + sizeof(ip6);
	} else {
		return;
	}

	if (e->protocol == NT_IPPROTO_TCP || e->protocol == NT_IPPROTO_UDP) {
		struct l4_ports p;
		if (bpf_probe_read_kernel(&p, sizeof(p), l4))
			return;
		e->sport = bpf_ntohs(p.sport);
		e->dport = bpf_ntohs(p.dport);
		if (e->protocol == NT_IPPROTO_TCP)
			bpf_probe_read_kernel(&e->tcp_flags, 1, l4 + 13);
	} else if (e->protocol == NT_IPPROTO_ICMP || e->protocol == NT_IPPROTO_ICMPV6) {
		struct { __u8 type, code; __u16 csum, id, seq; } icmp;
		if (bpf_probe_read_kernel(&icmp, sizeof(icmp), l4))
			return;
		e->icmp_type = icmp.type;
		e->sport = bpf_ntohs(icmp.id);
		e->dport = bpf_ntohs(icmp.seq);
	}
}

static __always_inline int measure(const struct sk_buff *skb, __u64 head)
{
	__u64 key = (__u64)skb;
	struct rx_stamp *sp = bpf_map_lookup_elem(&stamps, &key);
	if (!sp)
		return 0; /* not stamped: a NIC's NAPI poll (its wait is NET_RX raise->entry), or stamped before attach */
	struct rx_stamp s = *sp;
	/* Delete on first sight: a packet can pass netif_receive_skb again (tunnel decapsulation), measure it once. */
	bpf_map_delete_elem(&stamps, &key);

	__u64 now = bpf_ktime_get_ns();
	if (s.head != head || now < s.ts_ns)
		return 0; /* the stamp belonged to an earlier packet in this sk_buff */
	__u32 netns = 0;
	if (cfg.filter.netns) {
		netns = nt_skb_netns(skb);
		if (netns != cfg.filter.netns)
			return 0;
	}

	__u32 zero = 0;
	struct rxlat_hist *h = bpf_map_lookup_elem(&rx_hists, &zero);
	if (!h)
		return 0;
	__u64 lat = now - s.ts_ns;
	nt_hist_add(h->buckets, NT_RXLAT_SLOTS, &h->count, &h->sum_ns, &h->max_ns, lat);
	if (!cfg.threshold_ns || lat < cfg.threshold_ns)
		return 0;
	h->over_threshold++;

	NT_BTF_KEEP(struct rxlat_event);
	struct rxlat_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	nt_fill_header(&e->hdr, netns ? netns : nt_skb_netns(skb));
	e->latency_ns = lat;
	e->stamp_ns = s.ts_ns;
	e->stamp_cpu = s.cpu;
	e->stamp_kind = s.kind;
	e->ifindex = BPF_CORE_READ(skb, dev, ifindex);
	if (cfg.track_context) {
		__u64 *since = bpf_map_lookup_elem(&net_rx_since, &zero);
		if (since && *since) {
			e->context = RXLAT_CTX_SOFTIRQ;
			e->softirq_elapsed_us = (e->hdr.ts_ns - *since) / 1000;
		} else if (since) {
			e->context = RXLAT_CTX_TASK;
		}
	}
	read_flow(skb, e);
	nt_submit(e);
	return 0;
}

/* --- stamp --- */
SEC("tp_btf/netif_rx")
int BPF_PROG(rxlat_netif_rx_btf, struct sk_buff *skb)
{
	return stamp((__u64)skb, (__u64)skb->head, RXLAT_STAMP_NETIF_RX);
}

SEC("tracepoint/net/netif_rx")
int rxlat_netif_rx_tp(struct trace_event_raw_net_dev_template *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx->skbaddr;
	return stamp((__u64)skb, (__u64)BPF_CORE_READ(skb, head), RXLAT_STAMP_NETIF_RX);
}

/* --- stamp, veth (optional) --- */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(rxlat_veth_xmit_btf, struct sk_buff *skb, struct net_device *dev)
{
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	if (!ops || !is_veth((__u64)ops, ops->kind))
		return 0;
	return stamp((__u64)skb, (__u64)skb->head, RXLAT_STAMP_VETH_XMIT);
}

SEC("tracepoint/net/net_dev_start_xmit")
int rxlat_veth_xmit_tp(struct trace_event_raw_net_dev_start_xmit *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx->skbaddr;
	const struct rtnl_link_ops *ops = BPF_CORE_READ(skb, dev, rtnl_link_ops);
	if (!ops || !is_veth((__u64)ops, veth_link_ops ? NULL : BPF_CORE_READ(ops, kind)))
		return 0;
	return stamp((__u64)skb, (__u64)BPF_CORE_READ(skb, head), RXLAT_STAMP_VETH_XMIT);
}

/* --- measure --- */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(rxlat_receive_btf, struct sk_buff *skb)
{
	return measure(skb, (__u64)skb->head);
}

SEC("tracepoint/net/netif_receive_skb")
int rxlat_receive_tp(struct trace_event_raw_net_dev_template *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx->skbaddr;
	return measure(skb, (__u64)BPF_CORE_READ(skb, head));
}

/* --- context (optional) --- */
SEC("tp_btf/softirq_entry")
int BPF_PROG(rxlat_rx_entry_btf, unsigned int vec)
{
	return nt_set_net_rx(vec, cfg.softirq_vec, 1);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(rxlat_rx_exit_btf, unsigned int vec)
{
	return nt_set_net_rx(vec, cfg.softirq_vec, 0);
}

SEC("tracepoint/irq/softirq_entry")
int rxlat_rx_entry_tp(struct trace_event_raw_softirq *ctx)
{
	return nt_set_net_rx(ctx->vec, cfg.softirq_vec, 1);
}

SEC("tracepoint/irq/softirq_exit")
int rxlat_rx_exit_tp(struct trace_event_raw_softirq *ctx)
{
	return nt_set_net_rx(ctx->vec, cfg.softirq_vec, 0);
}

// SPDX-License-Identifier: GPL-2.0
/* Echo requests received: which CPU, in which context (softirq on top of which task, ksoftirqd, a kthread),
 * and how late relative to the skb's receive timestamp.
 * Candidates: fentry icmp_rcv+icmpv6_rcv > kprobe icmp_rcv+icmpv6_rcv > tp_btf netif_receive_skb > raw_tp.
 * Optional "context" hook: softirq entry/exit (tp_btf > tracepoint) marks when NET_RX runs on each CPU. */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "nt_netrx_context.bpf.h"
#include "icmpecho.h"

const volatile struct icmpecho_config cfg = { .softirq_vec = 3 };

struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__u16 csum;
	__u16 id;
	__u16 seq;
};

/* l3 points at the IP header; proto is the ethertype (host order). */
static __always_inline int handle(const struct sk_buff *skb, const unsigned char *l3, __u16 proto)
{
	__u8 saddr[16] = {}, daddr[16] = {};
	struct icmp_echo_hdr icmp = {};
	__u16 family;

	if (proto == NT_ETH_P_IP) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3))
			return 0;
		if (ip.version != 4 || ip.protocol != NT_IPPROTO_ICMP || (ip.frag_off & bpf_htons(0x1fff)))
			return 0;
		if (bpf_probe_read_kernel(&icmp, sizeof(icmp), l3 + ip.ihl * 4))
			return 0;
		if (icmp.type != 8)
			return 0;
		__builtin_memcpy(saddr, &ip.saddr, 4);
		__builtin_memcpy(daddr, &ip.daddr, 4);
		family = NT_AF_INET;
	} else if (proto == NT_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3))
			return 0;
		if (ip6.nexthdr != NT_IPPROTO_ICMPV6)
			return 0;
		if (bpf_probe_read_kernel(&icmp, sizeof(icmp), l3 + sizeof(ip6)))
			return 0;
		if (icmp.type != 128)
			return 0;
		__builtin_memcpy(saddr, &ip6.saddr, 16);
		__builtin_memcpy(daddr, &ip6.daddr, 16);
		family = NT_AF_INET6;
	} else {
		return 0;
	}

	__u32 netns = nt_skb_netns(skb);
	if (!nt_netns_ok(&cfg.filter, netns))
		return 0;

	struct icmpecho_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	NT_BTF_KEEP(struct icmpecho_event);
	nt_fill_header(&e->hdr, netns);
	__builtin_memcpy(e->saddr, saddr, 16);
	__builtin_memcpy(e->daddr, daddr, 16);
	e->skb_tstamp = BPF_CORE_READ(skb, tstamp);
	e->ifindex = BPF_CORE_READ(skb, dev, ifindex);
	e->softirq_elapsed_us = 0;
	e->context = NT_EXEC_UNKNOWN;
	if (cfg.track_context) {
		__u32 zero = 0;
		__u64 *since = bpf_map_lookup_elem(&net_rx_since, &zero);
		if (since && *since) {
			e->context = NT_EXEC_SOFTIRQ;
			e->softirq_elapsed_us = (e->hdr.ts_ns - *since) / 1000;
		} else if (since) {
			e->context = NT_EXEC_TASK;
		}
	}
	e->family = family;
	e->id = bpf_ntohs(icmp.id);
	e->seq = bpf_ntohs(icmp.seq);
	e->len = BPF_CORE_READ(skb, len);
	e->icmp_type = icmp.type;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	nt_submit(e);
	return 0;
}

/* In icmp_rcv/icmpv6_rcv the network header is set and skb->data is already past it. */
static __always_inline int at_icmp_rcv(const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	return handle(skb, head + nh, bpf_ntohs(BPF_CORE_READ(skb, protocol)));
}

/* At netif_receive_skb the MAC header has been pulled: skb->data is the network header. */
static __always_inline int at_netif_receive(const struct sk_buff *skb)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (proto != NT_ETH_P_IP && proto != NT_ETH_P_IPV6)
		return 0;
	return handle(skb, BPF_CORE_READ(skb, data), proto);
}

SEC("fentry/icmp_rcv")
int BPF_PROG(icmpecho_v4_fentry, struct sk_buff *skb)
{
	return at_icmp_rcv(skb);
}

SEC("fentry/icmpv6_rcv")
int BPF_PROG(icmpecho_v6_fentry, struct sk_buff *skb)
{
	return at_icmp_rcv(skb);
}

SEC("kprobe/icmp_rcv")
int BPF_KPROBE(icmpecho_v4_kprobe, struct sk_buff *skb)
{
	return at_icmp_rcv(skb);
}

SEC("kprobe/icmpv6_rcv")
int BPF_KPROBE(icmpecho_v6_kprobe, struct sk_buff *skb)
{
	return at_icmp_rcv(skb);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(icmpecho_btf, struct sk_buff *skb)
{
	return at_netif_receive(skb);
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(icmpecho_raw_tp, struct sk_buff *skb)
{
	return at_netif_receive(skb);
}

/* --- context (optional) --- */
SEC("tp_btf/softirq_entry")
int BPF_PROG(icmpecho_rx_entry_btf, unsigned int vec)
{
	return nt_set_net_rx(vec, cfg.softirq_vec, 1);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(icmpecho_rx_exit_btf, unsigned int vec)
{
	return nt_set_net_rx(vec, cfg.softirq_vec, 0);
}

SEC("tracepoint/irq/softirq_entry")
int icmpecho_rx_entry_tp(struct trace_event_raw_softirq *ctx)
{
	return nt_set_net_rx(ctx->vec, cfg.softirq_vec, 1);
}

SEC("tracepoint/irq/softirq_exit")
int icmpecho_rx_exit_tp(struct trace_event_raw_softirq *ctx)
{
	return nt_set_net_rx(ctx->vec, cfg.softirq_vec, 0);
}

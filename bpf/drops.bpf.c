// SPDX-License-Identifier: GPL-2.0
/* Dropped packets: skb:kfree_skb with reason and location, the IP tuple when the skb carries one.
 * Candidates: tp_btf kfree_skb > tracepoint skb/kfree_skb. The reason argument exists since 5.17; its values
 * differ between kernels, so they are compared through CO-RE enum relocations and named in user space. */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "drops.h"

const volatile struct drops_config cfg = {};

static __always_inline int uninteresting(__u32 reason)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return 1;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 1;
	if (!cfg.include_unspecified &&
	    bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		return 1;
	/* Reasons the user asked to leave out (by default QUEUE_PURGE: queues freed at socket close). */
	for (int i = 0; i < NT_DROPS_MAX_EXCLUDED; i++) {
		if (i >= cfg.n_excluded)
			break;
		if (reason == cfg.excluded[i])
			return 1;
	}
	return 0;
}

/* Fills the tuple from the headers the skb points at; returns 1 when it found an IPv4/IPv6 header. */
static __always_inline int skb_tuple(const struct sk_buff *skb, __u16 proto, struct nt_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	if (nh == (__u16)~0U)
		return 0;
	unsigned char *l3 = head + nh;
	unsigned char *l4;
	__u8 l4proto;

	if (proto == NT_ETH_P_IP) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3) || ip.version != 4)
			return 0;
		__builtin_memcpy(t->saddr, &ip.saddr, 4);
		__builtin_memcpy(t->daddr, &ip.daddr, 4);
		t->family = NT_AF_INET;
		l4proto = ip.protocol;
		if (ip.frag_off & bpf_htons(0x1fff))
			l4proto = 0; /* later fragment: no ports */
		l4 = l3 + ip.ihl * 4;
	} else if (proto == NT_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3) || ip6.version != 6)
			return 0;
		__builtin_memcpy(t->saddr, &ip6.saddr, 16);
		__builtin_memcpy(t->daddr, &ip6.daddr, 16);
		t->family = NT_AF_INET6;
		l4proto = ip6.nexthdr;
		l4 = l3 + sizeof(ip6);
	} else {
		return 0;
	}
	t->protocol = l4proto;
	if (l4proto == NT_IPPROTO_TCP || l4proto == NT_IPPROTO_UDP) {
		__u16 ports[2];
		if (bpf_probe_read_kernel(ports, sizeof(ports), l4) == 0) {
			t->sport = bpf_ntohs(ports[0]);
			t->dport = bpf_ntohs(ports[1]);
		}
	}
	return 1;
}

static __always_inline int on_drop(const struct sk_buff *skb, void *location, __u32 reason)
{
	if (uninteresting(reason))
		return 0;
	__u32 netns = nt_skb_netns(skb);
	if (!nt_netns_ok(&cfg.filter, netns))
		return 0;
	struct nt_tuple t = {};
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	int has_tuple = skb_tuple(skb, proto, &t);
	if (cfg.filter.ports[0] != 0 && (!has_tuple || !nt_ports_ok(&cfg.filter, t.sport, t.dport)))
		return 0;

	struct drop_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	NT_BTF_KEEP(struct drop_event);
	nt_fill_header(&e->hdr, netns);
	e->tuple = t;
	e->location = (__u64)location;
	e->reason = reason;
	e->ifindex = BPF_CORE_READ(skb, dev, ifindex);
	e->len = BPF_CORE_READ(skb, len);
	e->protocol = proto;
	e->has_tuple = has_tuple;
	e->_pad = 0;
	nt_submit(e);
	return 0;
}

/* Raw ctx access: only touch the reason argument where the kernel has it (5.17+), so the verifier's
 * argument-count check passes on older kernels too. The 4th argument (rx_sk, 6.12+) is not needed. */
SEC("tp_btf/kfree_skb")
int drops_btf(__u64 *ctx)
{
	__u32 reason = 0;
	if (bpf_core_type_exists(enum skb_drop_reason))
		reason = (__u32)ctx[2];
	return on_drop((const struct sk_buff *)ctx[0], (void *)ctx[1], reason);
}

SEC("tracepoint/skb/kfree_skb")
int drops_tp(struct trace_event_raw_kfree_skb *ctx)
{
	__u32 reason = 0;
	if (bpf_core_field_exists(ctx->reason))
		reason = ctx->reason;
	return on_drop((const struct sk_buff *)ctx->skbaddr, ctx->location, reason);
}

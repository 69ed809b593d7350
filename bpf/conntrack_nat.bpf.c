// SPDX-License-Identifier: GPL-2.0
/* Conntrack NAT view (story 2, the SNAT port race).
 * - ct_nat_post: a BPF_PROG_TYPE_NETFILTER program at NF_INET_POST_ROUTING priority 101, i.e. right after the
 *   iptables/nft nat chain (100) and long before conntrack confirm (INT_MAX). A packet whose conntrack is still
 *   unconfirmed there is its connection's first; its ORIGINAL tuple is the pod's, its REPLY tuple names the
 *   outer ip:port SNAT chose. The section name is ours: Debian's libbpf 1.1.2 knows no "netfilter" section, so
 *   user space sets the program type (32) and expected attach type (45) and creates the link itself.
 * - ct_clash_drop: tp_btf kfree_skb with reason NETFILTER_DROP and an unconfirmed conntrack: the loser of an
 *   insert race (conntrack's insert_failed/drop), reported with its ORIGINAL tuple (which pod lost). */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "conntrack_nat.h"

const volatile struct ct_nat_config cfg = {};

#define NFCT_PTRMASK (~7UL)
#define NT_IPS_CONFIRMED (1UL << 3)
#define NT_NF_ACCEPT 1

static __always_inline void ct_tuple(const struct nf_conntrack_tuple *src, struct nt_tuple *t)
{
	struct nf_conntrack_tuple ct = {};
	bpf_probe_read_kernel(&ct, sizeof(ct), src);
	__u16 l3 = ct.src.l3num;
	if (l3 == NT_AF_INET) {
		__builtin_memcpy(t->saddr, &ct.src.u3.ip, 4);
		__builtin_memcpy(t->daddr, &ct.dst.u3.ip, 4);
	} else {
		__builtin_memcpy(t->saddr, &ct.src.u3.all, 16);
		__builtin_memcpy(t->daddr, &ct.dst.u3.all, 16);
	}
	t->family = l3;
	t->protocol = ct.dst.protonum;
	t->sport = bpf_ntohs(ct.src.u.all);
	t->dport = bpf_ntohs(ct.dst.u.all);
}

static __always_inline void emit(struct nf_conn *ct, __u8 kind, __u32 netns, unsigned long status)
{
	struct ct_nat_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->ct = (__u64)ct;
	e->netns = netns;
	e->cpu = bpf_get_smp_processor_id();
	e->status = (__u32)status;
	e->kind = kind;
	ct_tuple(&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, &e->orig);
	ct_tuple(&ct->tuplehash[IP_CT_DIR_REPLY].tuple, &e->reply);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct nf_conn *skb_conntrack(const struct sk_buff *skb)
{
	unsigned long nfct = BPF_CORE_READ(skb, _nfct);
	return (struct nf_conn *)(nfct & NFCT_PTRMASK);
}

SEC("nt_netfilter")
int ct_nat_post(struct bpf_nf_ctx *ctx)
{
	NT_BTF_KEEP(struct ct_nat_event);
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	struct nf_conn *ct = skb_conntrack(skb);
	if (!ct)
		return NT_NF_ACCEPT;
	unsigned long status = BPF_CORE_READ(ct, status);
	if (status & NT_IPS_CONFIRMED)
		return NT_NF_ACCEPT;
	__u32 netns = BPF_CORE_READ(state, net, ns.inum);
	if (cfg.netns && cfg.netns != netns)
		return NT_NF_ACCEPT;
	emit(ct, CT_NAT_NEW, netns, status);
	return NT_NF_ACCEPT;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(ct_clash_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	struct nf_conn *ct = skb_conntrack(skb);
	if (!ct)
		return 0;
	unsigned long status = BPF_CORE_READ(ct, status);
	if (status & NT_IPS_CONFIRMED)
		return 0;
	__u32 netns = BPF_CORE_READ(ct, ct_net.net, ns.inum);
	if (cfg.netns && cfg.netns != netns)
		return 0;
	emit(ct, CT_NAT_CLASH_DROP, netns, status);
	return 0;
}

/* Conntrack NAT probe events: pre- and post-NAT tuples of new connections, and packets dropped because their
 * conntrack entry lost the insert race. Mirrored in tracer/NetTrace.Tracer/Conntrack/ConntrackNatNative.cs. */
#ifndef CONNTRACK_NAT_H
#define CONNTRACK_NAT_H

#include "nt_common.h"

enum ct_nat_kind {
	CT_NAT_NEW = 1,        /* first packet of a connection after SNAT (POST_ROUTING, after the nat chain), unconfirmed */
	CT_NAT_CLASH_DROP = 2, /* kfree_skb NETFILTER_DROP of a packet whose conntrack was never confirmed */
};

/* ORIGINAL tuple: the connection as the pod sent it (pre-NAT). REPLY tuple: as the answer will come back, so its
 * destination is the translated (post-NAT) source. Addresses network order, ports host order (nt_tuple). */
struct ct_nat_event {
	__u64 ts_ns;        /* bpf_ktime_get_ns */
	__u64 ct;           /* nf_conn address: pairs a clash drop with its own NEW event */
	__u32 netns;        /* inode of the conntrack's network namespace */
	__u32 cpu;
	__u32 status;       /* nf_conn status bits (IPS_*) */
	__u8 kind;          /* enum ct_nat_kind */
	__u8 pad[3];
	struct nt_tuple orig;
	struct nt_tuple reply;
};

struct ct_nat_config {
	__u32 netns;        /* only this namespace (inode); 0 = all */
	__u32 pad;
};

#endif

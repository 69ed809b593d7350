/* icmpecho: ICMP/ICMPv6 echo requests received, with the CPU and execution context that handled them. */
#ifndef NT_ICMPECHO_H
#define NT_ICMPECHO_H
#include "nt_common.h"

enum nt_exec_context_kind {
	NT_EXEC_UNKNOWN = 0,  /* the optional softirq entry/exit hooks are not attached */
	NT_EXEC_TASK = 1,     /* outside a NET_RX softirq run: process context (e.g. a threaded NAPI kthread) */
	NT_EXEC_SOFTIRQ = 2,  /* inside a NET_RX softirq run, on top of hdr.comm/pid (or in ksoftirqd/N) */
};

struct icmpecho_event {
	struct nt_header hdr;    /* pid/comm: the task whose context the receive ran in */
	__u8 saddr[16];          /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u64 skb_tstamp;        /* skb->tstamp (CLOCK_REALTIME ns when stamped on receive; 0 = not stamped) */
	__u32 ifindex;
	__u32 softirq_elapsed_us; /* time since the current NET_RX run began (0 outside one) */
	__u16 family;
	__u16 id;                /* host order */
	__u16 seq;               /* host order */
	__u16 len;               /* skb->len at the hook */
	__u8 icmp_type;
	__u8 context;            /* enum nt_exec_context_kind */
	__u8 _pad[6];
};

struct icmpecho_config {
	struct nt_filter filter; /* netns only */
	__u32 softirq_vec;       /* NET_RX = 3 */
	__u8 track_context;      /* the softirq entry/exit hooks are attached */
	__u8 _pad[3];
};

#endif

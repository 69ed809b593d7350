/* rxlatency: per-packet receive-path latency, from the moment an skb is queued for receive processing on a CPU
 * (netif_rx: the per-CPU backlog, RPS included; or a veth transmit, which hands the skb to the peer's NAPI/backlog)
 * to netif_receive_skb, where the stack starts processing it. Per-CPU log2 histograms of every packet, plus events
 * above a threshold with the packet's flow and the context that finally processed it. Catches what NET_RX
 * raise->entry cannot: stalls with interrupts off, and NAPI kthreads that wait for the CPU. */
#ifndef NT_RXLATENCY_H
#define NT_RXLATENCY_H
#include "nt_common.h"

#define NT_RXLAT_SLOTS 40 /* slot i: 2^i <= ns < 2^(i+1) (slot 0 also holds 0); the last slot is open-ended */

struct rxlat_hist {
	__u64 buckets[NT_RXLAT_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 over_threshold;  /* packets at or above the event threshold (emitted or lost) */
};

enum rxlat_stamp_kind {
	RXLAT_STAMP_NETIF_RX = 1,   /* netif_rx: queued to a CPU's backlog (veth without NAPI, RPS, tunnels) */
	RXLAT_STAMP_VETH_XMIT = 2,  /* net_dev_start_xmit on a veth: handed to the peer (its NAPI with GRO/XDP) */
};

enum rxlat_context {
	RXLAT_CTX_UNKNOWN = 0,      /* the optional NET_RX entry/exit hooks are not attached */
	RXLAT_CTX_SOFTIRQ = 1,      /* inside a NET_RX softirq run on top of hdr.comm (ksoftirqd/N when hdr.comm says so) */
	RXLAT_CTX_TASK = 2,         /* outside a NET_RX run: process context, e.g. a threaded-NAPI kthread (napi/...) */
};

struct rxlat_event {
	struct nt_header hdr;       /* cpu: the CPU that processed the packet; pid/comm: the task whose context ran it */
	__u8 saddr[16];             /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u64 latency_ns;           /* stamp -> netif_receive_skb */
	__u64 stamp_ns;             /* bpf_ktime_get_ns at the stamp */
	__u32 stamp_cpu;            /* the CPU that queued it */
	__u32 ifindex;              /* the receiving device */
	__u32 softirq_elapsed_us;   /* time since the NET_RX run that processed it began (0 outside one) */
	__u16 family;               /* 2 / 10; 0 = not IP */
	__u16 sport;                /* TCP/UDP ports, host order; ICMP echo: id in sport, seq in dport */
	__u16 dport;
	__u8 protocol;              /* IPPROTO_* */
	__u8 icmp_type;
	__u8 tcp_flags;
	__u8 context;               /* enum rxlat_context */
	__u8 stamp_kind;            /* enum rxlat_stamp_kind */
	__u8 _pad[5];
};

struct rxlatency_config {
	struct nt_filter filter;    /* netns of the receiving device only */
	__u64 threshold_ns;         /* events at or above; 0 = histograms only */
	__u32 softirq_vec;          /* NET_RX = 3 */
	__u8 track_context;         /* the NET_RX entry/exit hooks are attached */
	__u8 stamp_veth_xmit;       /* the veth transmit hook is attached */
	__u8 _pad[2];
};

#endif

/* tcpconnect: active TCP connects from start to outcome. */
#ifndef NT_TCPCONNECT_H
#define NT_TCPCONNECT_H
#include "nt_common.h"

enum tcpconnect_kind {
	TCPCONNECT_START = 1,          /* CLOSE -> SYN_SENT */
	TCPCONNECT_SYN_RETRANSMIT = 2, /* SYN retransmitted while SYN_SENT */
	TCPCONNECT_ESTABLISHED = 3,    /* SYN_SENT -> ESTABLISHED */
	TCPCONNECT_REFUSED = 4,        /* SYN_SENT -> CLOSE after a RST (ECONNREFUSED) */
	TCPCONNECT_TIMED_OUT = 5,      /* SYN_SENT -> CLOSE, ETIMEDOUT */
	TCPCONNECT_FAILED = 6,         /* SYN_SENT -> CLOSE with another error (ICMP unreachable...) */
	TCPCONNECT_ABORTED = 7,        /* SYN_SENT -> CLOSE without error: the application gave up */
};

struct tcpconnect_event {
	struct nt_header hdr;     /* context of this event (softirq for outcomes), netns of the socket */
	struct nt_tuple tuple;    /* source port may be 0 on START: it is chosen after the state change */
	__u64 sock_id;            /* kernel socket address: ties START to its outcome */
	__u64 start_ns;           /* START's ts_ns */
	__u64 owner_cgroup_id;    /* the task that called connect() */
	__u32 owner_pid;
	__u32 owner_tid;
	char owner_comm[NT_COMM_LEN];
	__u32 kind;               /* enum tcpconnect_kind */
	__u32 syn_retransmits;    /* so far */
	__s32 error;              /* sk_err at CLOSE (positive errno) */
	__u8 reset_seen;          /* tcp_receive_reset fired for this socket */
	__u8 _pad[3];
};

struct tcpconnect_config {
	struct nt_filter filter;
};

#endif

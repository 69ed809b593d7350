/* tcpsendmsg: bytes and calls per flow and process, aggregated in a kernel hash map that user space drains. */
#ifndef NT_TCPSENDMSG_H
#define NT_TCPSENDMSG_H
#include "nt_common.h"

/* Keyed by socket and process so the hot path is one small-key lookup and two atomic adds; the flow's tuple
 * and namespace are read once, when the entry is created (a TCP socket's tuple does not change while it sends). */
struct sendmsg_key {
	__u64 sock_id;  /* kernel socket address */
	__u32 pid;      /* tgid */
	__u32 _pad;
};

struct sendmsg_value {
	__u64 bytes;    /* bytes the kernel accepted (tracepoint) or the caller asked to send (fentry/kprobe) */
	__u64 calls;
	__u64 cgroup_id;
	__u64 first_ns;
	__u64 last_ns;
	struct nt_tuple tuple;
	__u32 netns;
	__u8 filtered;  /* excluded by the filters: kept so the decision is made once, skipped by user space */
	__u8 _pad[3];
	char comm[NT_COMM_LEN];
};

struct tcpsendmsg_config {
	struct nt_filter filter;
};

#endif

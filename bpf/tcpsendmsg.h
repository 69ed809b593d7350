/* tcpsendmsg: bytes and calls per flow and process, aggregated in a kernel hash map that user space drains. */
#ifndef NT_TCPSENDMSG_H
#define NT_TCPSENDMSG_H
#include "nt_common.h"

/* Keyed by the flow itself, not just the socket: the kernel hands a closed socket's memory to the next
 * connection, so (socket address, pid) alone merges successive connections into one record under the first
 * one's tuple. The tuple and namespace are read on every call (a few CO-RE loads) to build the key. */
struct sendmsg_key {
	struct nt_tuple tuple;
	__u64 sock_id;  /* kernel socket address: tells apart sockets sharing a tuple (e.g. SO_REUSEPORT) */
	__u32 pid;      /* tgid */
	__u32 netns;
};

struct sendmsg_value {
	__u64 bytes;    /* bytes the kernel accepted (tracepoint) or the caller asked to send (fentry/kprobe) */
	__u64 calls;
	__u64 cgroup_id;
	__u64 first_ns;
	__u64 last_ns;
	char comm[NT_COMM_LEN];
};

struct tcpsendmsg_config {
	struct nt_filter filter;
};

#endif

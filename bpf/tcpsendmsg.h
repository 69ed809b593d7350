/* tcpsendmsg: bytes and calls per flow and process, aggregated in a kernel hash map that user space drains. */
#ifndef NT_TCPSENDMSG_H
#define NT_TCPSENDMSG_H
#include "nt_common.h"

struct sendmsg_key {
	struct nt_tuple tuple;
	__u32 netns;
	__u32 pid;      /* tgid */
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

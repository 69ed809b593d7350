/* Types every probe's events share. Mirrored byte for byte in C# (tracer/NetTrace.Tracer/Probes/Native/);
 * a test compares the layouts through the objects' BTF. Include after vmlinux.h. */
#ifndef NT_COMMON_H
#define NT_COMMON_H

#define NT_COMM_LEN 16
#define NT_MAX_PORTS 4

/* Who and where an event happened. For softirq-context events pid/comm name whatever task was on the CPU. */
struct nt_header {
	__u64 ts_ns;      /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 cgroup_id;  /* cgroup v2 id; on cgroup-v1-only hosts the kernfs id of the task's cpu cgroup */
	__u32 netns;      /* network namespace inode of the socket/device (0 = unknown) */
	__u32 pid;        /* tgid */
	__u32 tid;
	__u32 cpu;
	char comm[NT_COMM_LEN];
};

/* Addresses in network byte order (IPv4 in the first 4 bytes), ports in host order. */
struct nt_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;     /* 2 = AF_INET, 10 = AF_INET6; v4-mapped IPv6 sockets report AF_INET ... */
	__u8 protocol;    /* IPPROTO_* */
	__u8 v4_mapped;   /* ... with this set */
};

/* Filters shared by the probes' const volatile configs. Zero means "any". */
struct nt_filter {
	__u32 netns;
	__u32 pid;
	__u16 ports[NT_MAX_PORTS];  /* match if the source or destination port is listed */
};

#endif

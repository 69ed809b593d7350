// SPDX-License-Identifier: GPL-2.0
/* Active TCP connects: start, SYN retransmits, outcome and latency, per socket.
 * Attach candidates (chosen in user space, the others get autoload=false):
 *   state:      fentry tcp_set_state > kprobe tcp_set_state > tp_btf inet_sock_set_state > tracepoint
 *   retransmit: fentry tcp_retransmit_skb > kprobe > tp_btf tcp_retransmit_skb > tracepoint
 *   reset:      tp_btf tcp_receive_reset > tracepoint (optional: the outcome also follows from sk_err) */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "tcpconnect.h"

#define NT_TCP_ESTABLISHED 1
#define NT_TCP_SYN_SENT 2
#define NT_TCP_CLOSE 7
#define NT_ECONNREFUSED 111
#define NT_ETIMEDOUT 110

const volatile struct tcpconnect_config cfg = {};

/* What we remember per connecting socket: the tuple (at CLOSE the local port is already gone) and the owner. */
struct conn {
	struct nt_tuple tuple;
	__u64 start_ns;
	__u64 cgroup_id;
	__u32 netns;
	__u32 pid;
	__u32 tid;
	__u32 retransmits;
	char comm[NT_COMM_LEN];
	__u8 reset_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct conn);
} conns SEC(".maps");

static __always_inline void refresh_tuple(const struct sock *sk, struct conn *c)
{
	struct nt_tuple t = {};
	nt_sk_tuple(sk, &t);
	if (t.sport != 0)
		c->tuple = t;
}

static __always_inline void emit(const struct sock *sk, const struct conn *c, __u32 kind, __s32 error)
{
	NT_BTF_KEEP(struct tcpconnect_event);
	struct tcpconnect_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return;
	nt_fill_header(&e->hdr, c->netns);
	e->tuple = c->tuple;
	e->sock_id = (__u64)sk;
	e->start_ns = c->start_ns;
	e->owner_cgroup_id = c->cgroup_id;
	e->owner_pid = c->pid;
	e->owner_tid = c->tid;
	__builtin_memcpy(e->owner_comm, c->comm, sizeof(e->owner_comm));
	e->kind = kind;
	e->syn_retransmits = c->retransmits;
	e->error = error;
	e->reset_seen = c->reset_seen;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	nt_submit(e);
}

static __always_inline int on_state(const struct sock *sk, int oldstate, int newstate)
{
	if (oldstate != NT_TCP_CLOSE && oldstate != NT_TCP_SYN_SENT)
		return 0;
	if (!nt_is_inet(sk) || BPF_CORE_READ(sk, sk_protocol) != NT_IPPROTO_TCP)
		return 0;
	__u64 key = (__u64)sk;

	if (oldstate == NT_TCP_CLOSE) {
		if (newstate != NT_TCP_SYN_SENT)
			return 0;
		struct conn c = {};
		c.netns = nt_sk_netns(sk);
		if (!nt_netns_ok(&cfg.filter, c.netns))
			return 0;
		__u64 pt = bpf_get_current_pid_tgid();
		c.pid = pt >> 32;
		c.tid = (__u32)pt;
		if (!nt_pid_ok(&cfg.filter, c.pid))
			return 0;
		nt_sk_tuple(sk, &c.tuple);
		if (!nt_ports_ok(&cfg.filter, c.tuple.sport, c.tuple.dport))
			return 0;
		c.start_ns = bpf_ktime_get_ns();
		c.cgroup_id = nt_cgroup_id();
		bpf_get_current_comm(c.comm, sizeof(c.comm));
		if (bpf_map_update_elem(&conns, &key, &c, BPF_ANY) != 0) {
			nt_count_lost();
			return 0;
		}
		emit(sk, &c, TCPCONNECT_START, 0);
		return 0;
	}

	/* SYN_SENT -> ... */
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	refresh_tuple(sk, c);
	__u32 kind;
	__s32 err = 0;
	if (newstate == NT_TCP_ESTABLISHED) {
		kind = TCPCONNECT_ESTABLISHED;
	} else if (newstate == NT_TCP_CLOSE) {
		err = BPF_CORE_READ(sk, sk_err);
		if (err == NT_ECONNREFUSED || (err == 0 && c->reset_seen))
			kind = TCPCONNECT_REFUSED;
		else if (err == NT_ETIMEDOUT)
			kind = TCPCONNECT_TIMED_OUT;
		else if (err != 0)
			kind = TCPCONNECT_FAILED;
		else
			kind = TCPCONNECT_ABORTED;
	} else {
		return 0; /* simultaneous open (SYN_RECV): keep waiting */
	}
	emit(sk, c, kind, err);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

static __always_inline int on_retransmit(const struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != NT_TCP_SYN_SENT)
		return 0;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	c->retransmits++;
	refresh_tuple(sk, c);
	emit(sk, c, TCPCONNECT_SYN_RETRANSMIT, 0);
	return 0;
}

static __always_inline int on_reset(const struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != NT_TCP_SYN_SENT)
		return 0;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	c->reset_seen = 1;
	refresh_tuple(sk, c); /* the last moment the local port is still set */
	return 0;
}

/* --- state --- */
SEC("fentry/tcp_set_state")
int BPF_PROG(tcpconnect_state_fentry, struct sock *sk, int state)
{
	return on_state(sk, BPF_CORE_READ(sk, __sk_common.skc_state), state);
}

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(tcpconnect_state_kprobe, struct sock *sk, int state)
{
	return on_state(sk, BPF_CORE_READ(sk, __sk_common.skc_state), state);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcpconnect_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcpconnect_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != NT_IPPROTO_TCP)
		return 0;
	return on_state((const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
}

/* --- retransmit --- */
SEC("fentry/tcp_retransmit_skb")
int BPF_PROG(tcpconnect_retransmit_fentry, struct sock *sk)
{
	return on_retransmit(sk);
}

SEC("kprobe/tcp_retransmit_skb")
int BPF_KPROBE(tcpconnect_retransmit_kprobe, struct sock *sk)
{
	return on_retransmit(sk);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcpconnect_retransmit_btf, const struct sock *sk)
{
	return on_retransmit(sk);
}

/* The record of tcp:tcp_retransmit_skb was "tcp_event_sk_skb" before 6.x and "tcp_retransmit_skb" since; both
 * begin with trace_entry, skbaddr, skaddr. A fixed layout (no CO-RE) serves both: choosing between two CO-RE
 * structs made clang add a variable offset to ctx, which the verifier refuses. */
struct tcp_retransmit_skb_record {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
};

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcpconnect_retransmit_tp(struct tcp_retransmit_skb_record *ctx)
{
	return on_retransmit((const struct sock *)ctx->skaddr);
}

/* --- reset (optional) --- */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcpconnect_reset_btf, struct sock *sk)
{
	return on_reset(sk);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tcpconnect_reset_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_reset((const struct sock *)ctx->skaddr);
}

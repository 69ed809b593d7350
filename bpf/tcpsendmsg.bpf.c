// SPDX-License-Identifier: GPL-2.0
/* TCP send volume per flow and process, aggregated in the kernel (no per-call events).
 * Candidates: fentry tcp_sendmsg > kprobe tcp_sendmsg > tp_btf sock_send_length > tracepoint sock_send_length. */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "tcpsendmsg.h"

const volatile struct tcpsendmsg_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sendmsg_key);
	__type(value, struct sendmsg_value);
} send_stats SEC(".maps");

static __always_inline int account(const struct sock *sk, __s64 bytes)
{
	if (bytes <= 0)
		return 0;
	struct sendmsg_key key = {};
	key.pid = bpf_get_current_pid_tgid() >> 32;
	if (!nt_pid_ok(&cfg.filter, key.pid))
		return 0;
	if (!nt_is_inet(sk))
		return 0;
	nt_sk_tuple(sk, &key.tuple);
	if (key.tuple.protocol != NT_IPPROTO_TCP)
		return 0;
	key.netns = nt_sk_netns(sk);
	if (!nt_netns_ok(&cfg.filter, key.netns) ||
	    !nt_ports_ok(&cfg.filter, key.tuple.sport, key.tuple.dport))
		return 0;
	key.sock_id = (__u64)sk;

	__u64 now = bpf_ktime_get_ns();
	struct sendmsg_value *v = bpf_map_lookup_elem(&send_stats, &key);
	if (!v) {
		/* First send of this flow by this process since the last drain. */
		struct sendmsg_value init = {};
		init.cgroup_id = nt_cgroup_id();
		init.first_ns = now;
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		/* EEXIST: another CPU inserted it first; then add to theirs. Anything else (E2BIG: map full until the
		 * next drain) loses this send, and is counted. */
		long err = bpf_map_update_elem(&send_stats, &key, &init, BPF_NOEXIST);
		if (err != 0 && err != -17) {
			nt_count_lost();
			return 0;
		}
		v = bpf_map_lookup_elem(&send_stats, &key);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->calls, 1);
	v->last_ns = now;
	return 0;
}

SEC("fentry/tcp_sendmsg")
int BPF_PROG(tcpsendmsg_fentry, struct sock *sk, struct msghdr *msg, size_t size)
{
	return account(sk, size);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(tcpsendmsg_kprobe, struct sock *sk, struct msghdr *msg, size_t size)
{
	return account(sk, size);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tcpsendmsg_btf, struct sock *sk, int ret, int flags)
{
	return account(sk, ret);
}

SEC("tracepoint/sock/sock_send_length")
int tcpsendmsg_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	if (ctx->protocol != NT_IPPROTO_TCP)
		return 0;
	return account((const struct sock *)ctx->sk, ctx->ret);
}

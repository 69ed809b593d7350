// SPDX-License-Identifier: GPL-2.0
/* NET_RX softirq timing per CPU. These tracepoints fire for every softirq on every CPU: the vector test is the
 * first thing each program does. Candidates: tp_btf irq/softirq_{raise,entry,exit} > tracepoint irq/... */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "softirqs.h"

const volatile struct softirqs_config cfg = { .vec = 3 };

struct cpu_state {
	__u64 raise_ns;        /* first raise not yet served; 0 = none pending */
	__u32 raise_pid;
	char raise_comm[NT_COMM_LEN];
	__u64 entry_ns;        /* the run in progress (0 = none) ... */
	__u64 entry_delay_ns;  /* ... how long it waited ... */
	__u64 run_raise_ns;    /* ... and the raise it serves */
	__u32 run_raise_pid;
	char run_raise_comm[NT_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq_hist);
} hists SEC(".maps");

static __always_inline int is_ksoftirqd(const char *comm)
{
	return comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' && comm[4] == 't' &&
	       comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q' && comm[8] == 'd' && comm[9] == '/';
}

static __always_inline void emit(struct cpu_state *s, __u32 kind, __u64 run_ns)
{
	NT_BTF_KEEP(struct softirq_event);
	struct softirq_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return;
	nt_fill_header(&e->hdr, 0);
	e->delay_ns = s->entry_delay_ns;
	e->run_ns = run_ns;
	e->raise_ns = s->run_raise_ns;
	e->raise_pid = s->run_raise_pid;
	e->vec = cfg.vec;
	__builtin_memcpy(e->raise_comm, s->run_raise_comm, sizeof(e->raise_comm));
	e->kind = kind;
	e->in_ksoftirqd = is_ksoftirqd(e->hdr.comm);
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	nt_submit(e);
}

static __always_inline int on_raise(void)
{
	__u32 zero = 0;
	struct cpu_state *s = bpf_map_lookup_elem(&state, &zero);
	if (!s || s->raise_ns != 0)
		return 0; /* already pending: the delay counts from the first raise */
	s->raise_ns = bpf_ktime_get_ns();
	s->raise_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->raise_comm, sizeof(s->raise_comm));
	return 0;
}

static __always_inline int on_entry(void)
{
	__u32 zero = 0;
	struct cpu_state *s = bpf_map_lookup_elem(&state, &zero);
	struct softirq_hist *h = bpf_map_lookup_elem(&hists, &zero);
	if (!s || !h)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	s->entry_ns = now;
	s->entry_delay_ns = 0;
	s->run_raise_ns = s->raise_ns;
	s->run_raise_pid = s->raise_pid;
	__builtin_memcpy(s->run_raise_comm, s->raise_comm, sizeof(s->run_raise_comm));
	if (s->raise_ns == 0)
		return 0; /* raised before we attached, or raised without the tracepoint */
	__u64 delay = now - s->raise_ns;
	s->entry_delay_ns = delay;
	nt_hist_add(h->delay, NT_HIST_SLOTS, &h->delay_count, &h->delay_sum_ns, &h->delay_max_ns, delay);
	if (cfg.threshold_ns && delay >= cfg.threshold_ns)
		emit(s, SOFTIRQ_DELAY, 0);
	/* A raise during this run is a new request: clear before the handler runs. */
	s->raise_ns = 0;
	return 0;
}

static __always_inline int on_exit(void)
{
	__u32 zero = 0;
	struct cpu_state *s = bpf_map_lookup_elem(&state, &zero);
	struct softirq_hist *h = bpf_map_lookup_elem(&hists, &zero);
	if (!s || !h || s->entry_ns == 0)
		return 0;
	__u64 run = bpf_ktime_get_ns() - s->entry_ns;
	s->entry_ns = 0;
	nt_hist_add(h->run, NT_HIST_SLOTS, &h->run_count, &h->run_sum_ns, &h->run_max_ns, run);
	if (cfg.threshold_ns && run >= cfg.threshold_ns)
		emit(s, SOFTIRQ_RUN, run);
	return 0;
}

SEC("tp_btf/softirq_raise")
int BPF_PROG(softirqs_raise_btf, unsigned int vec)
{
	return vec == cfg.vec ? on_raise() : 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirqs_entry_btf, unsigned int vec)
{
	return vec == cfg.vec ? on_entry() : 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirqs_exit_btf, unsigned int vec)
{
	return vec == cfg.vec ? on_exit() : 0;
}

SEC("tracepoint/irq/softirq_raise")
int softirqs_raise_tp(struct trace_event_raw_softirq *ctx)
{
	return ctx->vec == cfg.vec ? on_raise() : 0;
}

SEC("tracepoint/irq/softirq_entry")
int softirqs_entry_tp(struct trace_event_raw_softirq *ctx)
{
	return ctx->vec == cfg.vec ? on_entry() : 0;
}

SEC("tracepoint/irq/softirq_exit")
int softirqs_exit_tp(struct trace_event_raw_softirq *ctx)
{
	return ctx->vec == cfg.vec ? on_exit() : 0;
}

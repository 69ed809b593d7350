// SPDX-License-Identifier: GPL-2.0
/* Per-CPU clock watch. User space opens one software cpu-clock perf event per online CPU (pid -1) with a fixed
 * sample period and attaches this program to each: hrtimer driven, so it fires on idle CPUs too. Each sample
 * compares with the CPU's previous one; a long gap means the CPU ran nothing, not even interrupts. */
#include "vmlinux.h"
#include "nt_bpf.h"
#include "cpugaps.h"

const volatile struct cpugaps_config cfg = { .threshold_ns = 10000000 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_sample SEC(".maps");

SEC("perf_event")
int cpugaps_sample(struct bpf_perf_event_data *ctx)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&last_sample, &zero);
	if (!last)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u64 prev = *last;
	*last = now;
	if (!prev || now - prev < cfg.threshold_ns)
		return 0;
	NT_BTF_KEEP(struct cpugap_event);
	struct cpugap_event *e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	nt_fill_header(&e->hdr, 0);
	e->gap_ns = now - prev;
	nt_submit(e);
	return 0;
}

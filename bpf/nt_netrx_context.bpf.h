/* "Which context runs NET_RX on this CPU": shared by the probes that tell softirq context from process context
 * (a threaded NAPI kthread) for the packets they see. Include once per object after nt_bpf.h; each object gets its
 * own net_rx_since map, fed by that object's own softirq entry/exit programs (their names stay per object because
 * user space attaches them by name). */
#ifndef NT_NETRX_CONTEXT_BPF_H
#define NT_NETRX_CONTEXT_BPF_H

#include "nt_bpf.h"

/* Start of the NET_RX run in progress on this CPU (0 = none). A timestamp rather than a flag so events can also
 * say how long the run had been going. (The per-CPU preempt count would answer "in softirq?" directly but is not
 * reachable here: without KALLSYMS_ALL its address is not resolvable.) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} net_rx_since SEC(".maps");

/* Body of the softirq_entry/exit programs. Those tracepoints fire for every softirq vector on every CPU, so the
 * vector test comes first; net_rx_vec is the object's configured NET_RX number (a const volatile, fixed at load). */
static __always_inline int nt_set_net_rx(unsigned int vec, unsigned int net_rx_vec, int entering)
{
	if (vec != net_rx_vec)
		return 0;
	__u32 zero = 0;
	__u64 *since = bpf_map_lookup_elem(&net_rx_since, &zero);
	if (since)
		*since = entering ? bpf_ktime_get_ns() : 0;
	return 0;
}

#endif

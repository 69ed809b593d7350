/* softirqs: per-CPU NET_RX raise->entry delay and entry->exit run time as log2 histograms, plus events above a
 * threshold naming the tasks involved. */
#ifndef NT_SOFTIRQS_H
#define NT_SOFTIRQS_H
#include "nt_common.h"

#define NT_HIST_SLOTS 40 /* slot i: 2^i <= ns < 2^(i+1) (slot 0 also holds 0); the last slot is open-ended */

struct softirq_hist {
	__u64 delay[NT_HIST_SLOTS];
	__u64 run[NT_HIST_SLOTS];
	__u64 delay_count;
	__u64 delay_sum_ns;
	__u64 delay_max_ns;
	__u64 run_count;
	__u64 run_sum_ns;
	__u64 run_max_ns;
};

enum softirq_event_kind {
	SOFTIRQ_DELAY = 1, /* raise -> entry above the threshold (emitted at entry) */
	SOFTIRQ_RUN = 2,   /* entry -> exit above the threshold (emitted at exit) */
};

struct softirq_event {
	struct nt_header hdr;      /* the task on the CPU at entry (DELAY) or exit (RUN) */
	__u64 delay_ns;            /* raise -> entry of this run (0 if the raise was not seen) */
	__u64 run_ns;              /* RUN only */
	__u64 raise_ns;
	__u32 raise_pid;           /* the task on the CPU when the softirq was raised */
	__u32 vec;
	char raise_comm[NT_COMM_LEN];
	__u32 kind;                /* enum softirq_event_kind */
	__u8 in_ksoftirqd;         /* the softirq ran in ksoftirqd/N, not on top of another task */
	__u8 _pad[3];
};

struct softirqs_config {
	__u64 threshold_ns;
	__u32 vec;                 /* 3 = NET_RX */
	__u32 _pad;
};

#endif

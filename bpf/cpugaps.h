/* cpugaps: a perf cpu-clock sample on every CPU at a fixed period; a CPU whose samples stop for much longer than
 * the period was not running (the VM paused, the host did not run the vCPU) or had interrupts off. Gaps on every
 * CPU at once are a whole-machine pause, not a softirq problem of one CPU. */
#ifndef NT_CPUGAPS_H
#define NT_CPUGAPS_H
#include "nt_common.h"

struct cpugap_event {
	struct nt_header hdr;   /* the sample that ended the gap: cpu, and the task then running */
	__u64 gap_ns;           /* since this CPU's previous sample */
};

struct cpugaps_config {
	__u64 threshold_ns;     /* gaps at or above become events */
};

#endif

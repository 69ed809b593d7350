// SPDX-License-Identifier: GPL-2.0
/* Loaded (never attached) once by KernelCapabilities to learn whether this kernel accepts fentry programs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/tcp_set_state")
int BPF_PROG(capprobe_fentry)
{
	return 0;
}

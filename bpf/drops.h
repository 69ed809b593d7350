/* drops: skb:kfree_skb with the drop reason (a kernel-specific enum value: names come from vmlinux BTF). */
#ifndef NT_DROPS_H
#define NT_DROPS_H
#include "nt_common.h"

#define NT_DROPS_MAX_EXCLUDED 8

struct drop_event {
	struct nt_header hdr;    /* netns of skb->dev, else of skb->sk */
	struct nt_tuple tuple;   /* valid when has_tuple */
	__u64 location;          /* kernel text address of the caller: symbolised via /proc/kallsyms */
	__u32 reason;            /* enum skb_drop_reason value of THIS kernel */
	__u32 ifindex;
	__u32 len;
	__u16 protocol;          /* skb->protocol (ethertype, host order) */
	__u8 has_tuple;
	__u8 _pad;
};

struct drops_config {
	struct nt_filter filter;       /* netns and ports */
	__u8 include_unspecified;      /* report SKB_DROP_REASON_NOT_SPECIFIED too (noisy on most kernels) */
	__u8 n_excluded;               /* entries used in excluded[] */
	__u8 _pad[6];
	__u32 excluded[NT_DROPS_MAX_EXCLUDED]; /* reason values never streamed (this kernel's numbering) */
};

#endif

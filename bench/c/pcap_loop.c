/*
 * The benchmark's floor: the least work that still reads every packet of a capture through libpcap and decodes its
 * headers (Ethernet / 802.1Q / QinQ, Linux cooked v1/v2, raw IP, BSD loopback; IPv4 with options, IPv6 with the
 * common extension headers; TCP, UDP, ICMP, ICMPv6) and counts what it saw. No flow table, no handshake matching,
 * no output per packet: anything that computes more facts cannot be faster than this.
 *
 * Build: gcc -O2 -o pcap_loop pcap_loop.c -lpcap      Run: ./pcap_loop FILE
 * Prints key=value counters and the packet rate (wall clock around the read loop only).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct counts {
    uint64_t frames, bytes, vlan, ipv4, ipv6, tcp, udp, icmp, icmpv6, syn, synack, rst, fin, short_frames, other;
};

static inline uint16_t be16(const u_char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void transport(struct counts *c, uint8_t proto, const u_char *p, const u_char *end)
{
    switch (proto) {
    case 6:
        if (end - p < 20) { c->short_frames++; return; }
        c->tcp++;
        uint8_t flags = p[13];
        if (flags & 0x02) { if (flags & 0x10) c->synack++; else c->syn++; }
        if (flags & 0x04) c->rst++;
        if (flags & 0x01) c->fin++;
        return;
    case 17:
        if (end - p < 8) { c->short_frames++; return; }
        c->udp++;
        return;
    case 1:  c->icmp++; return;
    case 58: c->icmpv6++; return;
    default: c->other++; return;
    }
}

static void ipv4(struct counts *c, const u_char *p, const u_char *end)
{
    if (end - p < 20 || (p[0] >> 4) != 4) { c->short_frames++; return; }
    c->ipv4++;
    unsigned ihl = (p[0] & 0x0f) * 4u;
    if (ihl < 20 || end - p < (long)ihl) { c->short_frames++; return; }
    if (be16(p + 6) & 0x1fff) return; /* a later fragment carries no transport header */
    transport(c, p[9], p + ihl, end);
}

static void ipv6(struct counts *c, const u_char *p, const u_char *end)
{
    if (end - p < 40) { c->short_frames++; return; }
    c->ipv6++;
    uint8_t next = p[6];
    p += 40;
    for (int hops = 0; hops < 8; hops++) {
        if (next == 0 || next == 43 || next == 60) {          /* hop-by-hop, routing, destination options */
            if (end - p < 8) { c->short_frames++; return; }
            next = p[0]; p += (p[1] + 1) * 8;
        } else if (next == 44) {                              /* fragment */
            if (end - p < 8) { c->short_frames++; return; }
            if (be16(p + 2) & 0xfff8) return;
            next = p[0]; p += 8;
        } else break;
    }
    transport(c, next, p, end);
}

static void ether_payload(struct counts *c, uint16_t type, const u_char *p, const u_char *end)
{
    while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        if (end - p < 4) { c->short_frames++; return; }
        c->vlan++;
        type = be16(p + 2); p += 4;
    }
    if (type == 0x0800) ipv4(c, p, end);
    else if (type == 0x86dd) ipv6(c, p, end);
    else c->other++;
}

static void by_version(struct counts *c, const u_char *p, const u_char *end)
{
    if (p >= end) { c->short_frames++; return; }
    if ((p[0] >> 4) == 4) ipv4(c, p, end); else if ((p[0] >> 4) == 6) ipv6(c, p, end); else c->other++;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s CAPTURE\n", argv[0]); return 64; }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(argv[1], err);
    if (!pc) { fprintf(stderr, "pcap_loop: %s\n", err); return 2; }
    int dlt = pcap_datalink(pc);

    struct counts c;
    memset(&c, 0, sizeof c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
        const u_char *end = d + h->caplen;
        c.frames++;
        c.bytes += h->caplen;
        switch (dlt) {
        case DLT_EN10MB:
            if (h->caplen < 14) { c.short_frames++; break; }
            ether_payload(&c, be16(d + 12), d + 14, end);
            break;
        case DLT_LINUX_SLL:
            if (h->caplen < 16) { c.short_frames++; break; }
            ether_payload(&c, be16(d + 14), d + 16, end);
            break;
        case DLT_LINUX_SLL2:
            if (h->caplen < 20) { c.short_frames++; break; }
            ether_payload(&c, be16(d), d + 20, end);
            break;
        case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
            by_version(&c, d, end);
            break;
        case DLT_NULL: case DLT_LOOP:
            if (h->caplen < 4) { c.short_frames++; break; }
            by_version(&c, d + 4, end);  /* the 4-byte family word; IPv4 or IPv6 follows */
            break;
        default:
            c.other++;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == -1) fprintf(stderr, "pcap_loop: read error after %llu frames: %s\n", (unsigned long long)c.frames, pcap_geterr(pc));
    pcap_close(pc);

    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("frames=%llu bytes=%llu vlan=%llu ipv4=%llu ipv6=%llu tcp=%llu udp=%llu icmp=%llu icmpv6=%llu "
           "syn=%llu synack=%llu rst=%llu fin=%llu short=%llu other=%llu seconds=%.3f packets_per_second=%.0f\n",
           (unsigned long long)c.frames, (unsigned long long)c.bytes, (unsigned long long)c.vlan,
           (unsigned long long)c.ipv4, (unsigned long long)c.ipv6, (unsigned long long)c.tcp,
           (unsigned long long)c.udp, (unsigned long long)c.icmp, (unsigned long long)c.icmpv6,
           (unsigned long long)c.syn, (unsigned long long)c.synack, (unsigned long long)c.rst,
           (unsigned long long)c.fin, (unsigned long long)c.short_frames, (unsigned long long)c.other,
           secs, secs > 0 ? (double)c.frames / secs : 0.0);
    return rc == -1 ? 1 : 0;
}

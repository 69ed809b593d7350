using System.Runtime.InteropServices;
using NetTrace.Tracer.Probes.Native;

namespace NetTrace.Tracer.Conntrack;

/// <summary>Byte-for-byte mirror of struct ct_nat_event (bpf/conntrack_nat.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CtNatEventNative
{
    public ulong TsNs;
    public ulong Ct;
    public uint Netns;
    public uint Cpu;
    public uint Status;
    public byte Kind;
    public fixed byte Pad[3];
    public NtTuple Orig;
    public NtTuple Reply;

    public const int Size = 8 + 8 + 4 + 4 + 4 + 4 + 40 + 40;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CtNatConfigNative
{
    public uint Netns;
    public uint Pad;
}

/// <summary>
/// What Debian's libbpf 1.1.2 lacks for netfilter programs (both came in 1.2): setting the program type by hand and
/// creating the netfilter link with the raw bpf(BPF_LINK_CREATE) syscall.
/// </summary>
internal static unsafe partial class NetfilterNative
{
    public const int BpfProgTypeNetfilter = 32;
    public const int BpfAttachNetfilter = 45;
    public const int NfprotoIpv4 = 2;
    public const int NfInetPostRouting = 4;
    private const int BpfLinkCreate = 28;
    private const long SysBpf = 321; // x86_64

    [LibraryImport("libbpf.so.1")] public static partial int bpf_program__set_type(nint prog, int type);
    [LibraryImport("libbpf.so.1")] public static partial int bpf_program__set_expected_attach_type(nint prog, int type);
    [LibraryImport("libbpf.so.1", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint bpf_object__find_program_by_name(nint obj, string name);
    [LibraryImport("libbpf.so.1")] public static partial int bpf_program__fd(nint prog);

    [LibraryImport("libc", SetLastError = true)] private static partial long syscall(long number, long cmd, void* attr, long size);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);

    /// <summary>union bpf_attr for BPF_LINK_CREATE: prog_fd, target_fd, attach_type, flags, then the netfilter
    /// part (pf, hooknum, priority, flags). The rest must be zero.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct LinkCreateAttr
    {
        public uint ProgFd, TargetFd, AttachType, Flags;
        public uint Pf, Hooknum;
        public int Priority;
        public uint NfFlags;
        public fixed byte Rest[32];
    }

    /// <summary>Attaches in the calling thread's network namespace; returns the link fd or -errno.</summary>
    public static int CreateNetfilterLink(int progFd, int pf, int hook, int priority)
    {
        var attr = new LinkCreateAttr
        {
            ProgFd = (uint)progFd, AttachType = BpfAttachNetfilter, Pf = (uint)pf, Hooknum = (uint)hook, Priority = priority,
        };
        long fd = syscall(SysBpf, BpfLinkCreate, &attr, sizeof(LinkCreateAttr));
        return fd >= 0 ? (int)fd : -Marshal.GetLastPInvokeError();
    }
}

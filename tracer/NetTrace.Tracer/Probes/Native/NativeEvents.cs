using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Probes.Native;

// Byte-for-byte mirrors of bpf/*.h. Field names are the C names in PascalCase: LayoutTests compares every
// offset and size with the objects' BTF. Fields starting with '_' are padding.
#pragma warning disable CS0649 // filled by MemoryMarshal.Read

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NtHeader
{
    public ulong TsNs;
    public ulong CgroupId;
    public uint Netns;
    public uint Pid;
    public uint Tid;
    public uint Cpu;
    public fixed byte Comm[16];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NtTuple
{
    public fixed byte Saddr[16];
    public fixed byte Daddr[16];
    public ushort Sport;
    public ushort Dport;
    public ushort Family;
    public byte Protocol;
    public byte V4Mapped;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NtFilter
{
    public uint Netns;
    public uint Pid;
    public fixed ushort Ports[4];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TcpconnectEvent
{
    public NtHeader Hdr;
    public NtTuple Tuple;
    public ulong SockId;
    public ulong StartNs;
    public ulong OwnerCgroupId;
    public uint OwnerPid;
    public uint OwnerTid;
    public fixed byte OwnerComm[16];
    public uint Kind;
    public uint SynRetransmits;
    public int Error;
    public byte ResetSeen;
    public fixed byte _pad[3];
}

[StructLayout(LayoutKind.Sequential)]
internal struct TcpconnectConfig
{
    public NtFilter Filter;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SendmsgKey
{
    public NtTuple Tuple;
    public ulong SockId;
    public uint Pid;
    public uint Netns;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SendmsgValue
{
    public ulong Bytes;
    public ulong Calls;
    public ulong CgroupId;
    public ulong FirstNs;
    public ulong LastNs;
    public fixed byte Comm[16];
}

[StructLayout(LayoutKind.Sequential)]
internal struct TcpsendmsgConfig
{
    public NtFilter Filter;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IcmpechoEvent
{
    public NtHeader Hdr;
    public fixed byte Saddr[16];
    public fixed byte Daddr[16];
    public ulong SkbTstamp;
    public uint Ifindex;
    public uint SoftirqElapsedUs;
    public ushort Family;
    public ushort Id;
    public ushort Seq;
    public ushort Len;
    public byte IcmpType;
    public byte Context;
    public fixed byte _pad[6];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IcmpechoConfig
{
    public NtFilter Filter;
    public uint SoftirqVec;
    public byte TrackContext;
    public fixed byte _pad[3];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DropEvent
{
    public NtHeader Hdr;
    public NtTuple Tuple;
    public ulong Location;
    public uint Reason;
    public uint Ifindex;
    public uint Len;
    public ushort Protocol;
    public byte HasTuple;
    public byte _pad;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DropsConfig
{
    public NtFilter Filter;
    public byte IncludeUnspecified;
    public byte NExcluded;
    public fixed byte _pad[6];
    public fixed uint Excluded[MaxExcluded];
    public const int MaxExcluded = 8; // NT_DROPS_MAX_EXCLUDED
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SoftirqHist
{
    public const int Slots = 40;
    public fixed ulong Delay[Slots];
    public fixed ulong Run[Slots];
    public ulong DelayCount;
    public ulong DelaySumNs;
    public ulong DelayMaxNs;
    public ulong RunCount;
    public ulong RunSumNs;
    public ulong RunMaxNs;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SoftirqEvent
{
    public NtHeader Hdr;
    public ulong DelayNs;
    public ulong RunNs;
    public ulong RaiseNs;
    public uint RaisePid;
    public uint Vec;
    public fixed byte RaiseComm[16];
    public uint Kind;
    public byte InKsoftirqd;
    public fixed byte _pad[3];
}

[StructLayout(LayoutKind.Sequential)]
internal struct SoftirqsConfig
{
    public ulong ThresholdNs;
    public uint Vec;
    public uint _pad;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CpugapEvent
{
    public NtHeader Hdr;
    public ulong GapNs;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CpugapsConfig
{
    public ulong ThresholdNs;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RxlatHist
{
    public const int Slots = 40;
    public fixed ulong Buckets[Slots];
    public ulong Count;
    public ulong SumNs;
    public ulong MaxNs;
    public ulong OverThreshold;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RxlatEvent
{
    public NtHeader Hdr;
    public fixed byte Saddr[16];
    public fixed byte Daddr[16];
    public ulong LatencyNs;
    public ulong StampNs;
    public uint StampCpu;
    public uint Ifindex;
    public uint SoftirqElapsedUs;
    public ushort Family;
    public ushort Sport;
    public ushort Dport;
    public byte Protocol;
    public byte IcmpType;
    public byte TcpFlags;
    public byte Context;
    public byte StampKind;
    public fixed byte _pad[5];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RxlatencyConfig
{
    public NtFilter Filter;
    public ulong ThresholdNs;
    public uint SoftirqVec;
    public byte TrackContext;
    public byte StampVethXmit;
    public fixed byte _pad[2];
}

using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using NetTrace.Tracer.Probes.Native;

namespace NetTrace.Tracer.Probes;

/// <summary>Turns ring-buffer records (the C structs of bpf/*.h) into the public event records.</summary>
internal sealed unsafe class EventDecoder(DropReasons reasons, Lazy<KernelSymbols?> symbols, long realtimeMinusMonotonicNs)
{
    internal static T Read<T>(ReadOnlySpan<byte> data) where T : unmanaged
    {
        if (data.Length < sizeof(T))
            throw new InvalidDataException($"ring buffer record of {data.Length} bytes is shorter than {typeof(T).Name} ({sizeof(T)})");
        return MemoryMarshal.Read<T>(data);
    }

    internal static string Comm(byte* p, int max = 16)
    {
        if (max == 16) return CommStrings.Get(p);
        var span = new ReadOnlySpan<byte>(p, max);
        int n = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(n < 0 ? span : span[..n]);
    }

    internal static IPAddress Address(byte* p, ushort family) =>
        family == 2 ? new IPAddress(new ReadOnlySpan<byte>(p, 4)) : new IPAddress(new ReadOnlySpan<byte>(p, 16));

    internal static EventHeader Header(ref NtHeader h)
    {
        fixed (byte* c = h.Comm)
            return new EventHeader(h.TsNs, (int)h.Cpu, h.Netns, h.CgroupId, (int)h.Pid, (int)h.Tid, Comm(c));
    }

    public TcpConnectEvent TcpConnect(ReadOnlySpan<byte> data)
    {
        var e = Read<TcpconnectEvent>(data);
        var hdr = Header(ref e.Hdr);
        ref var t = ref e.Tuple;
        string owner;
        owner = Comm(e.OwnerComm);
        fixed (byte* s = t.Saddr) fixed (byte* d = t.Daddr)
            return new TcpConnectEvent(hdr, (TcpConnectKind)e.Kind,
                Address(s, t.Family), t.Sport, Address(d, t.Family), t.Dport, t.V4Mapped != 0,
                e.SockId, e.StartNs, e.Kind == 1 ? 0 : e.Hdr.TsNs - e.StartNs, (int)e.SynRetransmits, e.Error,
                e.ResetSeen != 0, new TaskRef((int)e.OwnerPid, (int)e.OwnerTid, owner, e.OwnerCgroupId));
    }

    public IcmpEchoEvent IcmpEcho(ReadOnlySpan<byte> data)
    {
        var e = Read<IcmpechoEvent>(data);
        var hdr = Header(ref e.Hdr);
        var ctx = (ExecContext)e.Context;
        long? since = null;
        if (e.SkbTstamp != 0)
        {
            // Received skbs are stamped with CLOCK_REALTIME; event times are CLOCK_MONOTONIC.
            long d = (long)e.Hdr.TsNs - ((long)e.SkbTstamp - realtimeMinusMonotonicNs);
            if (d is >= -1_000_000 and < 3_600_000_000_000) since = d; // else: another clock base, not usable
        }
        return new IcmpEchoEvent(hdr, Address(e.Saddr, e.Family), Address(e.Daddr, e.Family), e.Id, e.Seq,
                (int)e.Ifindex, e.Len, ctx, DescribeContext(ctx, hdr), e.SkbTstamp, since, e.SoftirqElapsedUs);
    }

    /// <summary>Names the context a receive ran in: softirq on top of which task, or ksoftirqd/N, or a kthread.</summary>
    public static string DescribeContext(ExecContext ctx, in EventHeader h)
    {
        bool ksoftirqd = h.Comm.StartsWith("ksoftirqd/", StringComparison.Ordinal);
        string task = h.Pid == 0 ? $"idle ({h.Comm})" : $"{h.Comm}[{h.Pid}]";
        return ctx switch
        {
            ExecContext.Softirq when ksoftirqd => h.Comm,
            ExecContext.Softirq => $"softirq in {task}",
            ExecContext.Task => $"task {task}",
            ExecContext.Hardirq => $"hardirq in {task}",
            _ => ksoftirqd ? h.Comm : $"in {task} (context unknown)",
        };
    }

    public DropEvent Drop(ReadOnlySpan<byte> data)
    {
        var e = Read<Native.DropEvent>(data);
        var hdr = Header(ref e.Hdr);
        ref var t = ref e.Tuple;
        bool has = e.HasTuple != 0;
        IPAddress? src = null, dst = null;
        if (has)
            fixed (byte* s = t.Saddr) fixed (byte* d = t.Daddr) { src = Address(s, t.Family); dst = Address(d, t.Family); }
        var sym = Symbol(e.Location);
        return new DropEvent(hdr, e.Reason, reasons.Name(e.Reason), e.Location, sym, e.Protocol, has, t.Protocol,
            src, t.Sport, dst, t.Dport, (int)e.Ifindex, (int)e.Len);
    }

    // Drops come from a few dozen kernel call sites: resolve (binary search + formatting) each once.
    private readonly Dictionary<ulong, string> _symbolCache = new();

    private string Symbol(ulong location)
    {
        if (_symbolCache.TryGetValue(location, out var sym)) return sym;
        sym = symbols.Value?.Resolve(location) ?? $"0x{location:x}";
        if (_symbolCache.Count >= 4096) _symbolCache.Clear(); // bounded: addresses come from the kernel
        _symbolCache[location] = sym;
        return sym;
    }

    public CpuGapEvent CpuGap(ReadOnlySpan<byte> data)
    {
        var e = Read<CpugapEvent>(data);
        return new CpuGapEvent(Header(ref e.Hdr), e.GapNs);
    }

    public RxLatencyEvent RxLatency(ReadOnlySpan<byte> data)
    {
        var e = Read<RxlatEvent>(data);
        var hdr = Header(ref e.Hdr);
        var ctx = e.Context switch { 1 => ExecContext.Softirq, 2 => ExecContext.Task, _ => ExecContext.Unknown };
        IPAddress? src = null, dst = null;
        if (e.Family is 2 or 10) { src = Address(e.Saddr, e.Family); dst = Address(e.Daddr, e.Family); }
        return new RxLatencyEvent(hdr, e.LatencyNs, e.StampNs, (int)e.StampCpu, (RxStampKind)e.StampKind, ctx,
            e.SoftirqElapsedUs, (int)e.Ifindex, src, dst, e.Protocol, e.Sport, e.Dport, e.IcmpType, e.TcpFlags);
    }

    public SoftirqEvent Softirq(ReadOnlySpan<byte> data)
    {
        var e = Read<Native.SoftirqEvent>(data);
        var hdr = Header(ref e.Hdr);
        return new SoftirqEvent(hdr, (SoftirqEventKind)e.Kind, (int)e.Vec, e.DelayNs, e.RunNs, e.RaiseNs,
            (int)e.RaisePid, Comm(e.RaiseComm), e.InKsoftirqd != 0);
    }
}

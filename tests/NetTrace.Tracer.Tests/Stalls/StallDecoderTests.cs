using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using NetTrace.Events;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;
using Xunit;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>The stall probes' ring-buffer records (laid out as bpf/rxlatency.h, cpugaps.h, softirqs.h) decode into the
/// public events with the CPU, the tasks and the flow intact.</summary>
public sealed unsafe class StallDecoderTests
{
    private static EventDecoder Decoder() => new(new DropReasons(new Dictionary<long, string>()), new Lazy<KernelSymbols?>(() => null), 0);

    private static byte[] Bytes<T>(T value) where T : unmanaged
    {
        var b = new byte[sizeof(T)];
        MemoryMarshal.Write(b, in value);
        return b;
    }

    private static void SetComm(byte* dst, string s)
    {
        var b = Encoding.ASCII.GetBytes(s);
        for (int i = 0; i < 16; i++) dst[i] = i < b.Length ? b[i] : (byte)0;
    }

    [Fact]
    public void A_slow_tcp_packet_decodes_with_both_cpus_its_flow_and_context()
    {
        var e = new RxlatEvent
        {
            LatencyNs = 31_000_000, StampNs = 1_000, StampCpu = 0, Ifindex = 7, SoftirqElapsedUs = 12, Family = 2,
            Sport = 40000, Dport = 8080, Protocol = 6, TcpFlags = 0x18, Context = 1, StampKind = 1,
        };
        e.Hdr.TsNs = 31_001_000; e.Hdr.Cpu = 1; e.Hdr.Pid = 4242; e.Hdr.Netns = 4026532000;
        SetComm(e.Hdr.Comm, "ip");
        e.Saddr[0] = 10; e.Saddr[3] = 1; e.Daddr[0] = 10; e.Daddr[3] = 2;
        var d = Decoder().RxLatency(Bytes(e));
        Assert.Equal(1, d.Header.Cpu);
        Assert.Equal(0, d.QueuedCpu);
        Assert.Equal(31_000_000UL, d.LatencyNs);
        Assert.Equal(RxStampKind.NetifRx, d.QueuedAt);
        Assert.Equal(NetTrace.Tracer.Probes.ExecContext.Softirq, d.Context);
        Assert.Equal(("ip", 4242), (d.Header.Comm, d.Header.Pid));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), d.Source);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), d.Destination);
        Assert.Equal((6, 40000, 8080, 0x18), (d.IpProtocol, d.SourcePort, d.DestinationPort, d.TcpFlags));
        Assert.Equal(12u, d.SoftirqElapsedUs);
        Assert.Equal(4026532000u, d.Header.NetnsInode);
    }

    [Fact]
    public void A_packet_in_a_napi_kthread_and_a_non_ip_packet_decode()
    {
        var e = new RxlatEvent { LatencyNs = 200_000_000, Family = 10, Protocol = 58, IcmpType = 128, Sport = 9, Dport = 3, Context = 2, StampKind = 2 };
        e.Hdr.Cpu = 1; e.Hdr.Pid = 77;
        SetComm(e.Hdr.Comm, "napi/ve1-8193");
        e.Saddr[15] = 1; e.Daddr[15] = 2;
        var d = Decoder().RxLatency(Bytes(e));
        Assert.Equal(RxStampKind.VethXmit, d.QueuedAt);
        Assert.Equal(NetTrace.Tracer.Probes.ExecContext.Task, d.Context);
        Assert.Equal(IPAddress.Parse("::2"), d.Destination);
        Assert.Equal((128, 9, 3), (d.IcmpType, d.SourcePort, d.DestinationPort));

        var arp = new RxlatEvent { LatencyNs = 5_000_000, Family = 0 };
        var a = Decoder().RxLatency(Bytes(arp));
        Assert.Null(a.Source);
        Assert.Null(a.Destination);
        Assert.Equal(NetTrace.Tracer.Probes.ExecContext.Unknown, a.Context);
    }

    [Fact]
    public void A_cpu_gap_and_a_softirq_delay_keep_the_cpu_and_the_raising_task()
    {
        var g = new CpugapEvent { GapNs = 42_000_000 };
        g.Hdr.Cpu = 1; g.Hdr.TsNs = 9;
        SetComm(g.Hdr.Comm, "swapper/1");
        var gap = Decoder().CpuGap(Bytes(g));
        Assert.Equal((1, 42_000_000UL, "swapper/1"), (gap.Header.Cpu, gap.GapNs, gap.Header.Comm));

        var s = new NetTrace.Tracer.Probes.Native.SoftirqEvent { DelayNs = 30_000_000, RaiseNs = 5, RaisePid = 4242, Vec = 3, Kind = 1 };
        s.Hdr.Cpu = 1; s.Hdr.Pid = 4242;
        SetComm(s.Hdr.Comm, "ip");
        SetComm(s.RaiseComm, "ip");
        var d = Decoder().Softirq(Bytes(s));
        Assert.Equal((1, 4242, "ip", 30_000_000UL), (d.Header.Cpu, d.RaisedByPid, d.RaisedByComm, d.DelayNs));
        Assert.Equal(SoftirqEventKind.Delay, d.Kind);
    }
}

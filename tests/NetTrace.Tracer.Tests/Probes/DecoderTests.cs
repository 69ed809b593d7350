using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;
using Xunit;

namespace NetTrace.Tracer.Tests.Probes;

/// <summary>Ring-buffer records built by hand (as the C side lays them out) decode into the public events.</summary>
public sealed unsafe class DecoderTests
{
    private static readonly DropReasons Reasons = new(new Dictionary<long, string> { [2] = "NOT_SPECIFIED", [5] = "NO_SOCKET" });

    private static EventDecoder Decoder(long realMinusMono = 0) =>
        new(Reasons, new Lazy<KernelSymbols?>(() => null), realMinusMono);

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
    public void A_v4_mapped_connect_outcome_decodes_with_owner_and_latency()
    {
        var e = new TcpconnectEvent { Kind = 3, SockId = 0xffff1234, StartNs = 1_000, OwnerPid = 42, OwnerTid = 43, SynRetransmits = 1 };
        e.Hdr.TsNs = 5_000; e.Hdr.Pid = 0; e.Hdr.Cpu = 1; e.Hdr.Netns = 4026531840;
        SetComm(e.Hdr.Comm, "swapper/1");
        SetComm(e.OwnerComm, "curl");
        e.Tuple.Family = 2; e.Tuple.V4Mapped = 1; e.Tuple.Sport = 40000; e.Tuple.Dport = 443;
        e.Tuple.Saddr[0] = 10; e.Tuple.Saddr[3] = 1;
        e.Tuple.Daddr[0] = 10; e.Tuple.Daddr[3] = 2;
        var d = Decoder().TcpConnect(Bytes(e));
        Assert.Equal(TcpConnectKind.Established, d.Kind);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), d.Source);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), d.Destination);
        Assert.Equal((ushort)443, d.DestinationPort);
        Assert.True(d.WasV4Mapped);
        Assert.Equal(4_000UL, d.LatencyNs);
        Assert.Equal(new TaskRef(42, 43, "curl", 0), d.Owner);
        Assert.Equal("swapper/1", d.Header.Comm);
        Assert.Equal(4026531840u, d.Header.NetnsInode);
    }

    [Fact]
    public void An_IPv6_echo_decodes_its_addresses_and_lateness_from_the_realtime_stamp()
    {
        var e = new IcmpechoEvent { Family = 10, Id = 7, Seq = 3, IcmpType = 128, Context = 2, Ifindex = 1, Len = 64 };
        e.Hdr.TsNs = 2_000_000; e.Hdr.Pid = 99;
        SetComm(e.Hdr.Comm, "ping");
        e.Saddr[15] = 1; e.Daddr[15] = 1;
        e.SkbTstamp = 1_000_000_000 + 1_500_000; // realtime = monotonic + 1 s; stamped 0.5 ms before the hook
        var d = Decoder(realMinusMono: 1_000_000_000).IcmpEcho(Bytes(e));
        Assert.Equal(IPAddress.IPv6Loopback, d.Source);
        Assert.Equal((ushort)3, d.Sequence);
        Assert.Equal(ExecContext.Softirq, d.Context);
        Assert.Equal("softirq in ping[99]", d.ContextDescription);
        Assert.Equal(500_000L, d.SinceStampNs);
    }

    [Fact]
    public void A_stamp_from_another_clock_base_is_not_used()
    {
        var e = new IcmpechoEvent { Family = 2, IcmpType = 8, SkbTstamp = 123 }; // e.g. a monotonic EDT stamp
        e.Hdr.TsNs = 10_000_000_000;
        Assert.Null(Decoder(realMinusMono: 1_700_000_000_000_000_000).IcmpEcho(Bytes(e)).SinceStampNs);
    }

    [Theory]
    [InlineData(ExecContext.Softirq, "ksoftirqd/1", 15, "ksoftirqd/1")]
    [InlineData(ExecContext.Softirq, "swapper/0", 0, "softirq in idle (swapper/0)")]
    [InlineData(ExecContext.Task, "napi/eth0-8193", 77, "task napi/eth0-8193[77]")]
    [InlineData(ExecContext.Unknown, "curl", 5, "in curl[5] (context unknown)")]
    public void The_context_names_the_task_or_ksoftirqd(ExecContext ctx, string comm, int pid, string expected) =>
        Assert.Equal(expected, EventDecoder.DescribeContext(ctx, new EventHeader(0, 0, 0, 0, pid, pid, comm)));

    [Fact]
    public void A_drop_gets_its_reason_name_and_an_unknown_value_stays_visible()
    {
        var e = new NetTrace.Tracer.Probes.Native.DropEvent { Reason = 5, HasTuple = 1, Location = 0xffffffff81000010, Protocol = 0x0800 };
        e.Tuple.Family = 2; e.Tuple.Protocol = 6; e.Tuple.Dport = 80;
        e.Tuple.Saddr[0] = 127; e.Tuple.Saddr[3] = 1; e.Tuple.Daddr[0] = 127; e.Tuple.Daddr[3] = 1;
        var d = Decoder().Drop(Bytes(e));
        Assert.Equal("NO_SOCKET", d.Reason);
        Assert.Equal("0xffffffff81000010", d.LocationSymbol);
        Assert.Equal(IPAddress.Loopback, d.Destination);
        e.Reason = 999;
        e.HasTuple = 0;
        var u = Decoder().Drop(Bytes(e));
        Assert.Equal("reason_999", u.Reason);
        Assert.Null(u.Source);
    }

    [Fact]
    public void A_short_record_is_an_error_not_garbage()
    {
        Assert.Throws<InvalidDataException>(() => Decoder().TcpConnect(new byte[10]));
    }

    [Fact]
    public void Kallsyms_resolves_function_plus_offset_and_leaves_unknown_addresses_hex()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, [
                "ffffffff81000000 T _stext",
                "ffffffff81000100 t tcp_v4_rcv",
                "ffffffff81000300 D some_data",
                "ffffffff81000400 T nf_hook_slow\t[nf]",
            ]);
            var k = KernelSymbols.Load(path);
            Assert.Equal(3, k.Count);
            Assert.Equal("tcp_v4_rcv+0x1a", k.Resolve(0xffffffff8100011a));
            Assert.Equal("nf_hook_slow", k.Resolve(0xffffffff81000400));
            Assert.Equal("0x1234", k.Resolve(0x1234));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Drop_reason_names_come_from_this_kernels_BTF()
    {
        var r = DropReasons.FromKernel();
        Assert.True(r.Count > 50, $"only {r.Count} reasons");
        Assert.NotNull(r.Value("NO_SOCKET"));
        Assert.NotNull(r.Value("NETFILTER_DROP"));
        Assert.Equal("NOT_SPECIFIED", r.Name(r.Value("NOT_SPECIFIED")!.Value));
    }

    [Fact]
    public void Libbpf_errors_carry_libbpfs_own_message()
    {
        Assert.Contains("Operation not permitted", new LibbpfException("bpf_object__load(x)", -1, "").Message);
        Assert.Contains("verifier", LibbpfException.Describe(4007)); // LIBBPF_ERRNO__VERIFY: libbpf's own code
        var bad = Assert.Throws<LibbpfException>(() => BpfObject.Open(new byte[] { 1, 2, 3 }, "garbage"));
        Assert.StartsWith("bpf_object__open_mem(garbage) failed", bad.Message);
        Assert.NotEqual(0, bad.Errno);
    }
}

using System.Net;
using NetTrace.Events;
using NetTrace.Events.Recording;

namespace NetTrace.Tracer.Tests.Recordings;

/// <summary>A small but varied event stream: one of each kind the recording format must carry.</summary>
internal static class SampleRecording
{
    public const ulong T0 = 1_790_000_000_000_000_000UL;

    public static List<TraceEvent> Events()
    {
        var client = IPAddress.Parse("10.77.0.2");
        var server = IPAddress.Parse("10.77.0.1");
        var origin = (ulong dt) => new Origin { TimeUnixNs = T0 + dt, KtimeNs = 5_000 + dt, Cpu = 1, NetnsIno = 4026532999, Pid = 42, Comm = "curl" };
        return
        [
            new TraceEvent { Header = new SessionHeader
            {
                Host = "node-a", Kernel = "6.18.0", ToolVersion = "0.1.0", StartTimeUnixNs = T0, StartKtimeNs = 5_000,
                Probes = { new ProbeChoice { Probe = "tcp-connect", Attach = "tp_btf/sock/inet_sock_set_state", Attached = true } },
                Filters = new TraceFilters { NetnsInodes = { 4026532999 }, Ports = { 8080 }, Cidrs = { "10.77.0.0/24" } },
            } },
            new TraceEvent { Connect = new ConnectEvent
            {
                Origin = origin(1_000), Tuple = EventAddresses.MakeTuple(client, 40000, server, 8080, IpProtocol.Tcp),
                Outcome = ConnectOutcome.Established, SynTimeUnixNs = T0 + 1_000, LatencyNs = 85_000,
            } },
            new TraceEvent { Connect = new ConnectEvent
            {
                Origin = origin(2_000), Tuple = EventAddresses.MakeTuple(client, 40002, IPAddress.Parse("10.77.0.9"), 8080, IpProtocol.Tcp),
                Outcome = ConnectOutcome.TimedOut, SynTimeUnixNs = T0 + 2_000, LatencyNs = 3_500_000_000, SynRetransmits = 2,
                SynRetransmitOffsetsNs = { 1_010_000_000, 3_030_000_000 }, Error = 110,
            } },
            new TraceEvent { Drop = new DropEvent
            {
                Origin = origin(3_000), Tuple = EventAddresses.MakeTuple(client, 0, server, 0, IpProtocol.Icmp),
                ReasonCode = 6, Reason = "NETFILTER_DROP", Location = 0xffffffff81234567, LocationSymbol = "nf_hook_slow+0x9c",
            } },
            new TraceEvent { IcmpEcho = new IcmpEchoEvent
            {
                Origin = origin(4_000), Src = EventAddresses.ToBytes(client), Dst = EventAddresses.ToBytes(server), Id = 7, Seq = 1,
                Context = ExecContext.SoftirqInTask, ContextTask = "ping", LatenessNs = 12_000,
            } },
            new TraceEvent { SoftirqHistogram = new SoftirqHistogram
            {
                Cpu = 1, Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RaiseToEntry, Buckets = { 0, 3, 10, 2 }, MaxNs = 15,
            } },
            new TraceEvent { Lost = new LostEventCounts { TimeUnixNs = T0 + 5_000, LostByProbe = { ["drops"] = 3 } } },
            new TraceEvent { End = new SessionEnd { EndTimeUnixNs = T0 + 6_000, EventsWritten = 7, Reason = "duration" } },
        ];
    }

    public static byte[] Bytes(IEnumerable<TraceEvent> events)
    {
        var ms = new MemoryStream();
        using (var w = new RecordingWriter(ms, ownsStream: false))
            foreach (var e in events) w.Write(e);
        return ms.ToArray();
    }

    /// <summary>Byte offsets where each record ends (after its CRC), computed independently of the reader.</summary>
    public static List<int> RecordEnds(IEnumerable<TraceEvent> events)
    {
        var ends = new List<int>();
        var pos = RecordingFormat.HeaderLength;
        foreach (var e in events)
        {
            var size = e.CalculateSize();
            pos += Google.Protobuf.CodedOutputStream.ComputeLengthSize(size) + size + 4;
            ends.Add(pos);
        }
        return ends;
    }
}

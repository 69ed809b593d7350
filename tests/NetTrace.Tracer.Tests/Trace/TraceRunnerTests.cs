using System.Net;
using System.Text.Json;
using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.Tracer.Trace;
using NetTrace.Tracer.Trace.LiveView;
using Xunit;

namespace NetTrace.Tracer.Tests.Trace;

public class TraceRunnerTests
{
    private static TraceEvent Connect(string src, int sport, string dst, int dport, ConnectOutcome outcome, ulong netns = 1, uint pid = 10,
        uint retransmits = 0, ulong latencyNs = 100_000) => new()
    {
        Connect = new ConnectEvent
        {
            Origin = new Origin { TimeUnixNs = 1_790_000_000_000_000_000, NetnsIno = netns, Pid = pid, Comm = "client" },
            Tuple = EventAddresses.MakeTuple(IPAddress.Parse(src), sport, IPAddress.Parse(dst), dport, IpProtocol.Tcp),
            Outcome = outcome, SynTimeUnixNs = 1_790_000_000_000_000_000, LatencyNs = latencyNs, SynRetransmits = retransmits,
        },
    };

    private static TraceEvent Drop(string src, string dst, ulong netns) => new()
    {
        Drop = new DropEvent
        {
            Origin = new Origin { TimeUnixNs = 1_790_000_000_100_000_000, NetnsIno = netns },
            Tuple = EventAddresses.MakeTuple(IPAddress.Parse(src), 0, IPAddress.Parse(dst), 0, IpProtocol.Icmp),
            Reason = "NETFILTER_DROP", ReasonCode = 6, LocationSymbol = "nf_hook_slow+0x9c",
        },
    };

    [Fact]
    public async Task Filters_outputs_and_lost_counts_reach_recording_json_and_view()
    {
        var events = new[]
        {
            Connect("10.9.0.2", 40000, "10.9.0.1", 80, ConnectOutcome.Established),
            Connect("10.9.0.2", 40001, "10.9.0.1", 81, ConnectOutcome.Refused),
            Connect("192.168.5.5", 40002, "192.168.5.6", 80, ConnectOutcome.Established),   // outside the CIDR
            Connect("10.9.0.2", 40003, "10.9.0.1", 80, ConnectOutcome.TimedOut, netns: 2), // other netns
            Drop("10.9.0.2", "10.9.0.1", 1),
        };
        var source = new ScriptedSource(events, new Dictionary<string, ulong> { [ProbeNames.Drops] = 7 });
        var filter = new TraceFilter([1], [], [], new CidrSet(["10.9.0.0/24"]));
        var recording = new MemoryStream();
        var json = new StringWriter();
        var lines = new StringWriter();
        using (var writer = new RecordingWriter(recording, ownsStream: false))
        {
            var runner = new TraceRunner(source, filter, new SessionHeader { Host = "test" },
                new TraceOutputs(writer, new JsonLinesWriter(json), new RollingLinesView(lines)));
            var result = await runner.RunAsync(TimeSpan.FromMilliseconds(2500), CancellationToken.None, TimeSpan.FromMilliseconds(200));
            Assert.Equal(3, result.EventsAccepted);
            Assert.Equal(2, result.EventsFilteredOut);
            Assert.Equal(7UL, result.TotalLost);
            Assert.Equal("duration reached", result.EndReason);
        }
        Assert.True(source.Collects >= 2, "collects every second and once at the end");

        recording.Position = 0;
        using var reader = new RecordingReader(recording);
        var read = reader.ReadAll().ToList();
        Assert.True(reader.Stop!.Complete);
        Assert.Equal(TraceEvent.KindOneofCase.Header, read[0].KindCase);
        Assert.Equal(TraceEvent.KindOneofCase.End, read[^1].KindCase);
        Assert.Equal(3, read.Count(e => e.KindCase is TraceEvent.KindOneofCase.Connect or TraceEvent.KindOneofCase.Drop));
        var final = read.Last(e => e.KindCase == TraceEvent.KindOneofCase.Lost).Lost;
        Assert.True(final.Final);
        Assert.Equal(7UL, final.LostByProbe[ProbeNames.Drops]);
        Assert.Contains(read, e => e.Lost is { Final: false });   // the periodic one, written while running

        var jsonLines = json.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(read.Count, jsonLines.Count);
        var refused = jsonLines.Single(j => j.GetProperty("type").GetString() == "connect" && j.GetProperty("outcome").GetString() == "refused");
        Assert.Equal("10.9.0.2:40001", refused.GetProperty("src").GetString());
        Assert.Equal("10.9.0.1:81", refused.GetProperty("dst").GetString());
        var stats = jsonLines.Last(j => j.GetProperty("type").GetString() == "stats");
        Assert.Equal(7, stats.GetProperty("lost").GetProperty("drops").GetInt32());
        Assert.True(stats.GetProperty("final").GetBoolean());

        var view = lines.ToString();
        Assert.Contains("connect refused 10.9.0.2:40001 -> 10.9.0.1:81", view);
        Assert.Contains("drop NETFILTER_DROP at nf_hook_slow+0x9c", view);
        Assert.Contains("LOST drops=7", view);
        Assert.DoesNotContain("192.168.5.5", view);
    }

    [Fact]
    public async Task Cancellation_ends_the_run_with_an_end_record_and_disposal_is_the_callers()
    {
        var source = new ScriptedSource([]);
        var recording = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using (var writer = new RecordingWriter(recording, ownsStream: false))
        {
            var result = await new TraceRunner(source, TraceFilter.None, new SessionHeader(), new TraceOutputs(writer, null, new NoLiveView()))
                .RunAsync(null, cts.Token);
            Assert.Equal("stopped", result.EndReason);
        }
        recording.Position = 0;
        var read = new RecordingReader(recording).ReadAll().ToList();
        Assert.Equal("stopped", read[^1].End.Reason);
    }

    [Fact]
    public void Terminal_table_shows_lost_events_prominently()
    {
        var stats = new TraceStats();
        stats.Add(Connect("10.9.0.2", 40003, "10.9.0.1", 80, ConnectOutcome.TimedOut, retransmits: 2, latencyNs: 3_000_000_000));
        stats.Add(new TraceEvent { Lost = new LostEventCounts { LostByProbe = { [ProbeNames.TcpConnect] = 12 } } });
        var lines = new TerminalTableView(new StringWriter()).Render(stats.Snapshot(), null);
        Assert.Contains(lines, l => l.Contains("LOST EVENTS: tcp-connect 12"));
        Assert.Contains(lines, l => l.Contains("10.9.0.2:40003 -> 10.9.0.1:80 timed-out 3000.0 ms 2 rtx"));
    }
}

/// <summary>A disk that fills up: writes beyond the capacity fail like ENOSPC.</summary>
internal sealed class FullDiskStream(int capacity) : MemoryStream
{
    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Length + count > capacity) throw new IOException("No space left on device");
        base.Write(buffer, offset, count);
    }
}

public class FullDiskTests
{
    [Fact]
    public async Task A_full_disk_ends_the_run_with_an_error_and_the_recording_reads_back_to_its_last_whole_record()
    {
        var events = Enumerable.Range(0, 500).Select(i => new TraceEvent
        {
            Drop = new DropEvent { Origin = new Origin { TimeUnixNs = (ulong)i }, Reason = "NETFILTER_DROP", LocationSymbol = "nf_hook_slow+0x9c" },
        });
        var disk = new FullDiskStream(4000);
        var source = new ScriptedSource(events);
        TraceRunResult result;
        using (var writer = new RecordingWriter(new BufferedStream(disk, 512), ownsStream: false))
            result = await new TraceRunner(source, TraceFilter.None, new SessionHeader { Host = "test" },
                new TraceOutputs(writer, null, new NoLiveView())).RunAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.NotNull(result.Error);
        Assert.Contains("No space left", result.Error);
        Assert.StartsWith("error:", result.EndReason);

        using var reader = new RecordingReader(new MemoryStream(disk.ToArray()));
        var read = reader.ReadAll().ToList();
        Assert.Equal(TraceEvent.KindOneofCase.Header, read[0].KindCase);
        Assert.True(read.Count > 10);
        Assert.True(reader.Stop!.Reason is ReadStopReason.EndOfFile or ReadStopReason.Truncated);
    }
}

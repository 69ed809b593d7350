using System.Net;
using System.Runtime.InteropServices;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using NetTrace.Tracer.Conntrack;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Probes;
using Xunit;

namespace NetTrace.Lab.Tests;

public class SnatClashJoinerTests
{
    private static ConntrackNatEvent Ev(ConntrackNatKind kind, ulong ts, ulong ct, string inner, string outer, int cpu = 0) =>
        new(kind, ts, ct, 4026532001, cpu, 6, IPEndPoint.Parse(inner), IPEndPoint.Parse("203.0.113.10:8080"), IPEndPoint.Parse(outer), 0);

    [Fact]
    public void Each_clash_drop_is_paired_with_the_connection_holding_its_outer_tuple()
    {
        var events = new List<ConntrackNatEvent>
        {
            Ev(ConntrackNatKind.New, 1_000, 0xA, "10.244.0.10:20000", "203.0.113.1:20000", cpu: 0),
            Ev(ConntrackNatKind.New, 1_004, 0xB, "10.244.0.11:20000", "203.0.113.1:20000", cpu: 1),
            Ev(ConntrackNatKind.ClashDrop, 1_010, 0xB, "10.244.0.11:20000", "203.0.113.1:20000", cpu: 1),
            Ev(ConntrackNatKind.New, 1_000_001_000, 0xC, "10.244.0.11:20000", "203.0.113.1:61000", cpu: 1),   // retransmit, new port
            Ev(ConntrackNatKind.New, 2_000, 0xD, "10.244.0.10:20001", "203.0.113.1:20001"),
        };
        var r = SnatClashJoiner.Join(events, counters: null, lostEvents: 0);
        var c = Assert.Single(r.Clashes);
        Assert.Equal("10.244.0.11:20000", c.Loser.Inner.ToString());
        Assert.Equal("10.244.0.10:20000", c.Winner!.Inner.ToString());   // not its own NEW event (same conntrack)
        Assert.Equal(0.01, c.GapMicros);
        Assert.Equal(4, r.NewConnections);
        Assert.Equal(1, r.PortRemapped);
        Assert.Equal(0.8, r.Confidence);
        Assert.Equal(1, r.LosersByInnerAddress[IPAddress.Parse("10.244.0.11")]);
    }

    [Fact]
    public void A_drop_without_a_contemporary_winner_keeps_lower_confidence_and_lost_events_lower_it_more()
    {
        var events = new List<ConntrackNatEvent>
        {
            Ev(ConntrackNatKind.New, 1_000, 0xA, "10.244.0.10:20000", "203.0.113.1:20000"),
            Ev(ConntrackNatKind.ClashDrop, 1_000 + 2 * SnatClashJoiner.WinnerWindowNs, 0xB, "10.244.0.11:20000", "203.0.113.1:20000"),
        };
        var r = SnatClashJoiner.Join(events, null, 0);
        Assert.Null(Assert.Single(r.Clashes).Winner);
        Assert.Equal(0.6, r.Confidence);
        Assert.Equal(0.48, SnatClashJoiner.Join(events, null, lostEvents: 3).Confidence);
        Assert.Equal(0, SnatClashJoiner.Join(events.Take(1).ToList(), null, 0).Confidence);
    }
}

/// <summary>The eBPF probe loaded into this kernel, attached in the lab's node namespace while the race runs.</summary>
[Collection("snat-race-lab")]
public class ConntrackNatProbeTests
{
    [Fact]
    public void Event_struct_matches_the_objects_btf()
    {
        var tmp = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(tmp, EmbeddedObjects.Read("conntrack_nat"));
            using var btf = Btf.Parse(tmp);
            var s = btf.Struct("ct_nat_event") ?? throw new InvalidOperationException("ct_nat_event not in the object's BTF");
            Assert.Equal((uint)CtNatEventNative.Size, s.Size);
            Assert.Equal(CtNatEventNative.Size, Marshal.SizeOf<CtNatEventNative>());
            foreach (var (c, cs) in new[] { ("ts_ns", "TsNs"), ("ct", "Ct"), ("netns", "Netns"), ("cpu", "Cpu"), ("status", "Status"), ("kind", "Kind"), ("orig", "Orig"), ("reply", "Reply") })
                Assert.Equal(s.Members.Single(m => m.Name == c).BitOffset / 8, (uint)Marshal.OffsetOf<CtNatEventNative>(cs));
        }
        finally { File.Delete(tmp); }
    }

    private static int NetfilterLinks()
    {
        var r = Cmd.Run("bpftool", "link", "list");
        return r.Stdout.Split('\n').Count(l => l.Contains("netfilter"));
    }

    [Fact]
    public async Task Every_failed_insert_is_seen_as_a_clash_drop_with_its_winner()
    {
        Privileged.Require("root (BPF, network namespaces, iptables NAT)");
        Privileged.RequireTool("bpftool");
        int linksBefore = NetfilterLinks();
        var r = await SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 200) { Trace = true }, TextWriter.Null, TestContext.Current.CancellationToken);
        var live = r.Live ?? throw new InvalidOperationException("no live report");
        Assert.Equal(0ul, live.LostEvents);
        Assert.True(r.InsertFailed > 0);
        Assert.Equal(r.InsertFailed, live.Clashes.Count);
        Assert.True(live.CountsAgree);
        Assert.Equal(r.SlowConnects, live.Clashes.Count);
        Assert.All(live.Clashes, c =>
        {
            Assert.NotNull(c.Winner);
            Assert.Equal(c.Winner!.Outer, c.Loser.Outer);                 // the same outer ip:port ...
            Assert.NotEqual(c.Winner.Inner.Address, c.Loser.Inner.Address); // ... chosen for two pods
            Assert.Equal(c.Loser.Inner.Port, c.Loser.Outer.Port);          // MASQUERADE kept the source port
            Assert.Equal(SnatRaceTopology.ServerIp, c.Loser.Remote.Address);
            Assert.Equal(r.Connects.Count(x => x.Client == c.Loser.Inner.ToString() && x.Slow), 1);
        });
        // Every connect's first SYN, plus one fresh conntrack for each loser's retransmit (and, rarely, one for a
        // stray packet such as a reset that arrives after its connection's entry is gone).
        long expectedNew = r.Connects.Count + r.InsertFailed;
        Assert.InRange(live.NewConnections, expectedNew, expectedNew + Math.Max(2, expectedNew / 100));
        // Each loser's retransmit finds its port taken (by the now-confirmed winner) and gets another one.
        Assert.True(live.PortRemapped >= r.InsertFailed, $"{live.PortRemapped} remapped, {r.InsertFailed} failed inserts");
        Assert.True(live.Confidence >= 0.9);
        Assert.Equal(linksBefore, NetfilterLinks());
    }

    [Fact]
    public async Task With_random_fully_the_probe_sees_translations_but_no_clash()
    {
        Privileged.Require("root (BPF, network namespaces, iptables NAT)");
        var r = await SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 200, RandomFully: true) { Trace = true }, TextWriter.Null, TestContext.Current.CancellationToken);
        var live = r.Live!;
        Assert.Empty(live.Clashes);
        Assert.Equal(0, r.InsertFailed);
        // One per connect, plus the rare stray packet that opens an entry of its own (see the plain-MASQUERADE test).
        Assert.InRange(live.NewConnections, r.Connects.Count, r.Connects.Count + Math.Max(2, r.Connects.Count / 100));
        Assert.True(live.PortRemapped > r.Connects.Count * 9 / 10, $"{live.PortRemapped} of {live.NewConnections} got a random port");
    }
}

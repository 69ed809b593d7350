using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Output;
using NetTrace.Analyzer.Tests.Builders;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.Flows;

/// <summary>Finished-flow results beyond a few chunks go to a temporary file; what is read back must be what was stored.</summary>
public class ResultSpillTests
{
    private struct Item
    {
        public long A;
        public int B;
        public bool C;
    }

    [Fact]
    public void Items_stored_out_of_order_read_back_the_same_with_two_chunks_in_memory()
    {
        const int n = 10_000;   // ~10 chunks of 1024
        var order = Enumerable.Range(0, n).ToArray();
        // Mostly in order with a lag (flows finishing late), and a few very late ones into chunks already on disk.
        new Random(5).Shuffle(order.AsSpan(0, n - 100));
        Array.Sort(order, 0, n - 100, Comparer<int>.Create((x, y) => (x / 3000).CompareTo(y / 3000)));
        using var store = new ChunkedStore<Item>(maxResidentChunks: 2);
        foreach (int i in order.Skip(200).Concat(order.Take(200)))   // the first 200 arrive last
            store.Set(i, new Item { A = i * 7919L, B = -i, C = i % 3 == 0 });
        Assert.Equal(n, store.Count);
        Assert.True(store.SpilledChunks >= 7, $"spilled {store.SpilledChunks} chunks");
        for (int i = 0; i < n; i++)
        {
            var x = store[i];
            Assert.Equal(i * 7919L, x.A);
            Assert.Equal(-i, x.B);
            Assert.Equal(i % 3 == 0, x.C);
        }
        // Random access across spilled chunks (the cache holds only a few).
        var rnd = new Random(9);
        for (int k = 0; k < 2000; k++)
        {
            int i = rnd.Next(n);
            Assert.Equal(i * 7919L, store[i].A);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => store[n]);
    }

    [Fact]
    public void Analysis_with_results_spilled_to_disk_writes_the_same_json_as_in_memory()
    {
        // 3,000 connects (three chunks of results) with some SYN retransmits and refusals, so every finding runs.
        var packets = new List<(long Ns, byte[] Ip)>();
        for (int i = 0; i < 3000; i++)
        {
            long start = T0 + i * 2_000_000L;
            string client = $"10.1.{i / 200}.{i % 200 + 1}";
            if (i % 50 == 7)
            {
                var hs = Handshake(client, "10.0.0.2", (ushort)(30000 + i), 80, start + 1_000_000_000L);
                packets.Add((start, hs[0].Ip));   // the first SYN, then the same SYN again 1 s later
                packets.AddRange(hs);
            }
            else if (i % 97 == 3)
            {
                packets.Add((start, Ipv4(client, "10.0.0.3", 6, Tcp((ushort)(30000 + i), 443, 1000, 0, 0x02))));
                packets.Add((start + 300_000, Ipv4("10.0.0.3", client, 6, Tcp(443, (ushort)(30000 + i), 0, 1001, 0x14))));
            }
            else packets.AddRange(Handshake(client, "10.0.0.2", (ushort)(30000 + i), 80, start));
        }
        packets.Sort((a, b) => a.Ns.CompareTo(b.Ns));
        var file = PcapFile.Build(LinkTypes.Raw, packets.Select(p => new Frame(p.Ns, p.Ip)), nanos: true);

        var inMemory = AnalyzeBytes(file);
        var spilled = AnalyzeBytes(file, settings: AnalyzeSettings.Default with { ResidentResultChunks = 1 });
        Assert.Equal(3000, spilled.Handshakes.Count);
        Assert.Contains(spilled.Findings, f => f.Kind == "syn-retransmit-initial-rto");
        Assert.Contains(spilled.Findings, f => f.Kind == "connection-refused");
        string a = JsonResultWriter.ToJson(inMemory), b = JsonResultWriter.ToJson(spilled);
        Assert.Equal(a.Replace(inMemory.Sources[0].Path, "X"), b.Replace(spilled.Sources[0].Path, "X"));
    }
}

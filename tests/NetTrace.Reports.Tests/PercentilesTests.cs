using NetTrace.Reports.Data;
using Xunit;

namespace NetTrace.Reports.Tests;

public class PercentilesTests
{
    [Fact]
    public void Nearest_rank_on_one_to_thousand()
    {
        var sorted = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();
        Assert.Equal(500, Percentiles.NearestRank(sorted, 50));
        Assert.Equal(900, Percentiles.NearestRank(sorted, 90));
        Assert.Equal(990, Percentiles.NearestRank(sorted, 99));
        Assert.Equal(999, Percentiles.NearestRank(sorted, 99.9));
        Assert.Equal(1000, Percentiles.NearestRank(sorted, 100));
        Assert.Equal(1, Percentiles.NearestRank(sorted, 0));
    }

    [Fact]
    public void Single_value_and_empty()
    {
        Assert.Equal(7, Percentiles.NearestRank([7], 99.9));
        Assert.True(double.IsNaN(Percentiles.NearestRank([], 50)));
    }

    [Fact]
    public void Row_uses_observed_values_and_max()
    {
        var s = new LatencySeries("x", [1, 2, 3, 4], [400, 100, 300, 200]);
        var row = Percentiles.Row(s)!;
        Assert.Equal(4, row.Count);
        Assert.Equal(200, row.P50);
        Assert.Equal(400, row.P99);
        Assert.Equal(400, row.Max);
    }

    [Fact]
    public void Series_drop_unanswered_and_negative_values()
    {
        var hs = new[]
        {
            new NetTrace.Analyzer.Model.Handshake { Client = "a:1", Server = "b:2", SynTime = 1, SynAckRttMicros = 100, AckRttMicros = null, Outcome = NetTrace.Analyzer.Model.HandshakeOutcome.Established },
            new NetTrace.Analyzer.Model.Handshake { Client = "a:1", Server = "b:2", SynTime = 2, SynAckRttMicros = -5, Outcome = NetTrace.Analyzer.Model.HandshakeOutcome.Established },
            new NetTrace.Analyzer.Model.Handshake { Client = "a:1", Server = "b:2", SynTime = 3, SynAckRttMicros = double.NaN, Outcome = NetTrace.Analyzer.Model.HandshakeOutcome.Unanswered },
        };
        var s = LatencySeries.SynToSynAck(hs);
        Assert.Equal([1.0], s.Times);
        Assert.Equal([100.0], s.Micros);
        Assert.Equal(0, LatencySeries.HandshakeRtt(hs).Count);
    }
}

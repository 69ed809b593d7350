using NetTrace.Analyzer.Model;
using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using Xunit;

namespace NetTrace.Reports.Tests;

public class SynRetransmitsTests
{
    [Theory]
    [InlineData(0, 1_003_000, RetransmitKind.InitialRto1s)]
    [InlineData(0, 3_010_000, RetransmitKind.InitialRto3s)]
    [InlineData(0, 200_000, RetransmitKind.FirstOtherGap)]
    [InlineData(1, 2_000_000, RetransmitKind.Backoff)]
    [InlineData(0, double.NaN, RetransmitKind.GapUnknown)]
    public void Classifies_by_position_and_gap(int index, double gap, RetransmitKind expected) =>
        Assert.Equal(expected, SynRetransmits.Classify(index, gap));

    [Fact]
    public void Each_retransmitted_syn_is_placed_at_its_send_time()
    {
        var h = new Handshake
        {
            Client = "a:1", Server = "b:2", SynTime = 100, SynRetransmits = 3, SynRetransmitGapsMicros = [1_000_000, 2_000_000],
            Outcome = HandshakeOutcome.Unanswered,
        };
        var ev = SynRetransmits.From([h]);
        Assert.Equal(3, ev.Count);
        Assert.Equal(101, ev[0].Time, 6);
        Assert.Equal(RetransmitKind.InitialRto1s, ev[0].Kind);
        Assert.Equal(103, ev[1].Time, 6);
        Assert.Equal(RetransmitKind.Backoff, ev[1].Kind);
        Assert.Equal(RetransmitKind.GapUnknown, ev[2].Kind);   // counted, no gap known
    }

    [Theory]
    [InlineData(10, 0.1)]
    [InlineData(600, 5)]
    [InlineData(3600, 30)]
    [InlineData(0.05, 0.001)]
    public void Bucket_width_keeps_the_timeline_readable(double span, double expected)
    {
        double w = RetransmitTimelineChart.BucketWidth(span);
        Assert.Equal(expected, w);
        Assert.True(span / w <= RetransmitTimelineChart.MaxBuckets);
    }
}

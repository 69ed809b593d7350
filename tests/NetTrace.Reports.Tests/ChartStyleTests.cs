using NetTrace.Reports.Charts;
using Xunit;

namespace NetTrace.Reports.Tests;

public class ChartStyleTests
{
    [Theory]
    [InlineData(600, 1, "seconds")]
    [InlineData(7200, 1, "seconds")]
    [InlineData(7201, 3600, "hours")]
    [InlineData(3 * 86400, 86400, "days")]
    public void Time_axis_unit_follows_the_span(double span, double unit, string name) =>
        Assert.Equal((unit, name), ChartStyle.TimeUnit(span));

    [Theory]
    [InlineData(0.25, "250 µs")]
    [InlineData(1.5, "1.5 ms")]
    [InlineData(1003, "1.003 s")]
    public void Latency_labels_pick_a_readable_unit(double ms, string label) => Assert.Equal(label, ChartStyle.FormatMs(ms));

    [Fact]
    public void Log_axis_only_when_values_span_more_than_two_decades()
    {
        Assert.True(ChartStyle.WantsLog([[100, 200, 1_000_000]]));
        Assert.False(ChartStyle.WantsLog([[100, 200, 5000]]));
        Assert.False(ChartStyle.WantsLog([[0, 0, 0]]));
    }
}

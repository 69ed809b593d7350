using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Stalls;
using NetTrace.CaptureGen.Stall;
using Xunit;

namespace NetTrace.Bench.Tests.Stalls;

public class StallAccuracyTests(ITestOutputHelper output)
{
    private static AnalysisResult Analyze(string path, StallScenario s) =>
        CaptureAnalyzer.Analyze([path], new AnalyzeSettings { Stalls = new StallOptions { Rss = RssSettings.WithQueues(s.Queues) } }, null, CancellationToken.None);

    private StallScore Run(StallScenario scenario)
    {
        using var capture = new StallCapture(scenario);
        var r = Analyze(capture.Path, scenario);
        Assert.NotNull(r.Stalls);
        var score = StallScore.Of(r.Stalls.Stalls, capture.Truth);
        output.WriteLine($"{scenario.Capture} seed {scenario.Seed}{(scenario.V6 ? " v6" : "")}: {capture.Truth.Frames} frames, {score}");
        return score;
    }

    [Theory]
    [InlineData(StallCapturePoint.Sender, 1UL, false)]
    [InlineData(StallCapturePoint.Sender, 2UL, false)]
    [InlineData(StallCapturePoint.Sender, 3UL, true)]
    [InlineData(StallCapturePoint.Receiver, 1UL, false)]
    [InlineData(StallCapturePoint.Receiver, 4UL, false)]
    [InlineData(StallCapturePoint.Receiver, 5UL, true)]
    public void Precision_and_recall_reach_095_with_the_right_queue_and_scope(StallCapturePoint capture, ulong seed, bool v6)
    {
        var score = Run(new StallScenario { Capture = capture, Seed = seed, V6 = v6 });
        Assert.True(score.Observable >= 0.9 * score.Truths, $"most windows must be observable: {score}");
        Assert.True(score.Precision >= 0.95, score.ToString());
        Assert.True(score.Recall >= 0.95, score.ToString());
        Assert.True(score.QueueRight >= 0.95 * (score.QueueRight + score.QueueWrong), score.ToString());
        Assert.True(score.ScopeRight >= 0.95 * (score.ScopeRight + score.ScopeWrong), score.ToString());
    }
}

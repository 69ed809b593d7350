using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Recordings;
using NetTrace.Events;
using Xunit;

namespace NetTrace.Tracer.Tests.Recordings;

/// <summary>Recording events → the analyzer's model (the mapping behind `nettrace analyze FILE.ntrace`).</summary>
public class RecordingAnalysisTests
{
    private static RecordingOutput Analyze(IEnumerable<TraceEvent> events)
    {
        var a = new RecordingAnalysis("test.ntrace");
        foreach (var e in events) a.Add(e);
        return a.Finish();
    }

    [Fact]
    public void Connects_become_handshakes_with_rtt_retransmit_gaps_and_outcome()
    {
        var output = Analyze(SampleRecording.Events());
        Assert.Equal(2, output.Handshakes.Count);

        var ok = output.Handshakes[0];
        Assert.Equal("10.77.0.2:40000", ok.Client);
        Assert.Equal("10.77.0.1:8080", ok.Server);
        Assert.Equal(HandshakeOutcome.Established, ok.Outcome);
        Assert.Equal(85.0, ok.SynAckRttMicros);
        Assert.Equal(SampleRecording.T0 / 1e9 + 1e-6, ok.SynTime, 6);

        var lost = output.Handshakes[1];
        Assert.Equal(HandshakeOutcome.Unanswered, lost.Outcome);
        Assert.Null(lost.SynAckRttMicros);
        Assert.Equal(2, lost.SynRetransmits);
        Assert.Equal([1_010_000.0, 2_020_000.0], lost.SynRetransmitGapsMicros);
        Assert.Equal(2, output.Counts.SynRetransmits);
    }

    [Fact]
    public void Echoes_carry_cpu_and_context_and_are_not_counted_as_lost()
    {
        var output = Analyze(SampleRecording.Events());
        var echo = Assert.Single(output.Echoes);
        Assert.Equal(("10.77.0.2", "10.77.0.1", 7, 1), (echo.Src, echo.Dst, echo.Id, echo.Seq));
        Assert.Equal(1, echo.Cpu);
        Assert.Equal("softirq on ping, 0.012 ms after receive", echo.Context);
        Assert.True(echo.ReceiverOnly);
        Assert.Null(echo.RttMicros);
    }

    [Fact]
    public void Drops_become_a_finding_with_reason_and_function_and_lost_events_a_problem()
    {
        var output = Analyze(SampleRecording.Events());
        var f = Assert.Single(output.Findings);
        Assert.Equal("kernel-drops", f.Kind);
        Assert.Contains("NETFILTER_DROP at nf_hook_slow", f.Title);
        Assert.Contains(f.Evidence, e => e.Label == "NETFILTER_DROP at nf_hook_slow" && e.Value.StartsWith("1 packet(s)"));
        Assert.Equal(0.63, f.Confidence);   // 0.9, lowered because 3 events were lost
        var p = Assert.Single(output.Problems);
        Assert.Equal(ProblemSeverity.Warning, p.Severity);
        Assert.Contains("lost 3 event(s)", p.Message);
        Assert.Contains("drops 3", p.Message);
        Assert.Contains(output.Comments, c => c.Contains("traced on node-a") && c.Contains("cidr 10.77.0.0/24"));
    }

    [Fact]
    public void A_recording_without_its_end_record_says_the_tracer_did_not_finish()
    {
        var output = Analyze(SampleRecording.Events().Where(e => e.KindCase != TraceEvent.KindOneofCase.End));
        Assert.Contains(output.Problems, p => p.Message.Contains("no end record"));
    }
}

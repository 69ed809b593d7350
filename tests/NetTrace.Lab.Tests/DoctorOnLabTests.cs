using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>`nettrace doctor --netns` pointed at the lab's node namespace while the race runs.</summary>
[Collection("snat-race-lab")]
public class DoctorOnLabTests
{
    [Fact]
    public async Task Doctor_names_the_rule_and_the_failing_inserts_of_a_racing_node()
    {
        Privileged.Require("root (network namespaces, iptables NAT)");
        // A long race, stopped as soon as the doctor is done: the lab must outlive the doctor even on a busy machine.
        using var stopLab = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var ct = TestContext.Current.CancellationToken;
        // The doctor reads the rules once: start it only after the lab said it races (its rules are in place then),
        // not after a fixed delay — a loaded machine can take longer than any delay to build the lab.
        var progress = new LineSignal("racing ");
        var lab = Task.Run(() => SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 20000), progress, stopLab.Token), ct);
        await Task.WhenAny(progress.Seen, lab, Task.Delay(TimeSpan.FromSeconds(60), ct));
        if (lab.IsFaulted) await lab;
        Assert.True(progress.Seen.IsCompleted, "the lab did not start racing within 60 s:\n" + progress.Text);
        string prefix = $"{SnatRaceNames.Prefix}{Environment.ProcessId}-";
        var node = SnatRaceCleanup.ListNetns().FirstOrDefault(n => n.StartsWith(prefix) && n.EndsWith("-node"));
        Assert.NotNull(node);
        await Task.Delay(300, ct);   // some rounds raced already

        var stdout = new StringWriter();
        // The node checks' softnet sampling is not what this test is about: without it the doctor takes ~1 s less,
        // which the lab must outlive.
        int code = new DoctorHandler(new DoctorOptions(Json: false, Netns: node, Sample: TimeSpan.FromSeconds(1), SoftnetInterval: TimeSpan.Zero), stdout, new StringWriter()).Run();
        if (lab.IsFaulted) await lab;   // the lab's own error says more than "it ended"
        Assert.False(lab.IsCompleted, "the lab ended before the doctor finished: the test proves nothing");
        stopLab.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lab);
        Assert.DoesNotContain(SnatRaceCleanup.ListNetns(), n => n == node);
        var text = stdout.ToString();
        Assert.Equal(NetTrace.Cli.Program.ExitWarnings, code);
        Assert.True(text.Contains("RACE [iptables-nft] nat/POSTROUTING: -A POSTROUTING -s 10.244.0.0/24 -o ext0 -j MASQUERADE"), text);
        Assert.Matches(@"\[WARN\s*\] Conntrack insert failures right now: [1-9]\d* failed inserts", text);
    }
}

/// <summary>A progress writer that remembers every line and completes <see cref="Seen"/> at the first line starting with a prefix.</summary>
internal sealed class LineSignal(string prefix) : TextWriter
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _text = new();
    public Task Seen => _seen.Task;
    public string Text { get { lock (_text) return _text.ToString(); } }
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
    public override void WriteLine(string? value)
    {
        lock (_text) _text.AppendLine(value);
        if (value != null && value.StartsWith(prefix, StringComparison.Ordinal)) _seen.TrySetResult();
    }
}

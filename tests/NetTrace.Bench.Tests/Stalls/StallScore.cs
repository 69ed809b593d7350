using NetTrace.Analyzer.Model;
using NetTrace.CaptureGen.Stall;

namespace NetTrace.Bench.Tests.Stalls;

/// <summary>
/// Detected stall windows against the generator's truth. A detection matches a truth window when the burst that ends
/// it (the release) falls within <see cref="ReleaseToleranceSeconds"/> of the window's end — the replies a capture sees
/// leave right after the stall ends (plus the way back at the sender). Truth windows that held fewer than three probes
/// for 5 ms or more cannot show as a burst in any capture: they count as "unobservable" and recall is given over the
/// observable ones (and their share is checked by the tests, so the definition cannot hide misses).
/// </summary>
public sealed class StallScore
{
    public const double ReleaseToleranceSeconds = 0.02;

    public int Detected, Truths, Observable, TruePositives, FoundObservable, FoundAny;
    public int QueueRight, QueueWrong, ScopeRight, ScopeWrong;
    public List<string> Misses { get; } = [];
    public List<string> FalseAlarms { get; } = [];

    public double Precision => Detected == 0 ? 1 : (double)TruePositives / Detected;
    public double Recall => Observable == 0 ? 1 : (double)FoundObservable / Observable;

    public static bool IsObservable(StallTruthWindow w) => w.ProbesHeldOver5Ms >= 3;

    public static StallScore Of(IReadOnlyList<StallWindow> detected, StallTruth truth)
    {
        var s = new StallScore { Detected = detected.Count, Truths = truth.Windows.Count, Observable = truth.Windows.Count(IsObservable) };
        var used = new HashSet<StallWindow>();
        foreach (var w in truth.Windows)
        {
            var match = detected.FirstOrDefault(d => !used.Contains(d) && Math.Abs(d.End - w.End) <= ReleaseToleranceSeconds && d.Start <= w.End);
            if (match is null)
            {
                if (IsObservable(w)) s.Misses.Add($"{w.Kind} q={w.Queue} {w.Start:F3}-{w.End:F3} held {w.ProbesHeld} ({w.ProbesHeldOver5Ms} >5ms)");
                continue;
            }
            used.Add(match);
            s.FoundAny++;
            if (IsObservable(w)) s.FoundObservable++;
            var wantScope = w.Kind == "pause" ? StallScope.AllCpus : StallScope.OneCpu;
            if (match.Scope == wantScope) s.ScopeRight++; else s.ScopeWrong++;
            if (w.Kind == "one-queue")
            {
                if (match.RxQueue == w.Queue) s.QueueRight++; else s.QueueWrong++;
            }
        }
        s.TruePositives = used.Count;
        foreach (var d in detected.Where(d => !used.Contains(d)))
            s.FalseAlarms.Add($"{d.Start:F3}-{d.End:F3} scope={d.Scope} q={d.RxQueue} n={d.PacketsDelayed} max={d.MaxDelayMs}ms");
        return s;
    }

    public override string ToString() =>
        $"precision {Precision:0.000} ({TruePositives}/{Detected}), recall {Recall:0.000} ({FoundObservable}/{Observable} observable, " +
        $"{Truths} windows), queue right {QueueRight}/{QueueRight + QueueWrong}, scope right {ScopeRight}/{ScopeRight + ScopeWrong}" +
        (Misses.Count > 0 ? "\n  missed: " + string.Join("\n  missed: ", Misses) : "") +
        (FalseAlarms.Count > 0 ? "\n  false: " + string.Join("\n  false: ", FalseAlarms) : "");
}

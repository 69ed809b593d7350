using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Synthetic;

/// <summary>
/// A deterministic stall analysis shaped like story 1, for the report's tests and benchmark: ICMP probes and TCP
/// SYNs between two hosts, all ICMP hashed to one RX queue; every stall holds off NET_RX on that queue's CPU for
/// 100–800 ms while a "monitoring agent" reads an expensive kernel file, packets pile up and leave together
/// (latency falls off in a sawtooth), then ksoftirqd runs the backlog; plus one whole-VM pause that hits every CPU.
/// Live and capture parts can be left out to test the report's "only one kind of data" paths.
/// </summary>
public static class SyntheticStalls
{
    public const double Start = 1_780_000_000.0;
    public const int HotQueue = 3;

    public sealed record Settings
    {
        public int TimelinePoints { get; init; } = 6_000;
        public int Cpus { get; init; } = 4;
        public int Queues { get; init; } = 8;
        public double DurationSeconds { get; init; } = 120;
        /// <summary>One-CPU stalls; a VM pause comes on top.</summary>
        public int Stalls { get; init; } = 6;
        public bool Live { get; init; } = true;
        public bool Capture { get; init; } = true;
        /// <summary>The task that held the CPU (string from the kernel: tests put markup here).</summary>
        public string HeldByComm { get; init; } = "cadvisor";
        /// <summary>Interval of the per-CPU delay samples.</summary>
        public double SampleSeconds { get; init; } = 0.5;
        public int Seed { get; init; } = 7;
    }

    /// <summary>The synthetic handshakes and echoes of <see cref="SyntheticAnalysis"/>, with stalls and their findings added.</summary>
    public static AnalysisResult Result(Settings? s = null, int handshakes = 2_000)
    {
        s ??= new Settings();
        var stalls = Create(s);
        var baseResult = SyntheticAnalysis.Create(handshakes, s.Seed, s.DurationSeconds);
        return baseResult with { Stalls = stalls, Findings = [.. Findings(stalls, s), .. baseResult.Findings] };
    }

    public static StallAnalysis Create(Settings s)
    {
        var rng = new Random(s.Seed);
        int hotCpu = Math.Min(1, s.Cpus - 1);
        // Stall windows spread evenly, each 100–800 ms; a VM pause between the 2nd and 3rd. Times on whole microseconds,
        // as captures and the JSON keep them.
        var windows = new List<(double start, double len, bool vm)>();
        for (int i = 0; i < s.Stalls; i++)
            windows.Add((Us(Start + s.DurationSeconds * (i + 0.5) / (s.Stalls + 1)), Us(0.1 + 0.7 * rng.NextDouble()), false));
        windows.Add((Us(Start + s.DurationSeconds * (Math.Min(2, s.Stalls) + 1.0) / (s.Stalls + 1)), 0.3, true));
        windows.Sort();

        var timeline = new List<LatencyPoint>(s.TimelinePoints);
        var delayedIcmp = new int[windows.Count];
        var delayedTcp = new int[windows.Count];
        var perQueuePackets = new long[s.Queues];
        var perQueueDelayed = new long[s.Queues];
        for (int i = 0; i < s.TimelinePoints; i++)
        {
            double t = Us(Start + s.DurationSeconds * i / s.TimelinePoints);
            // Two of three points are ICMP probes (one queue), the rest SYNs spread by their source port.
            bool icmp = i % 3 != 2;
            int queue = icmp ? HotQueue : rng.Next(s.Queues);
            double ms = (icmp ? 0.08 : 0.25) * Math.Exp(0.3 * Gauss(rng));
            bool inStall = false;
            for (int w = 0; w < windows.Count; w++)
            {
                var (ws, len, vm) = windows[w];
                if (t < ws || t >= ws + len || (!vm && queue != HotQueue)) continue;
                ms += (ws + len - t) * 1000;     // waits until the backlog is released at the window's end
                inStall = true;
                if (icmp) delayedIcmp[w]++; else delayedTcp[w]++;
                perQueueDelayed[queue]++;
            }
            perQueuePackets[queue]++;
            if (s.Capture) timeline.Add(new LatencyPoint { Time = t, LatencyMs = ms, Kind = icmp ? "icmp" : "tcp-syn", RxQueue = queue, InStall = inStall });
            if (s.Live && i % 4 == 0)
                timeline.Add(new LatencyPoint { Time = t, LatencyMs = ms * 0.95, Kind = "rx-packet", Cpu = queue == HotQueue ? hotCpu : queue % s.Cpus, InStall = inStall });
        }

        var stallList = new List<StallWindow>();
        for (int w = 0; w < windows.Count; w++)
        {
            var (ws, len, vm) = windows[w];
            var flows = new List<string> { "10.0.0.11 → 10.0.0.12 icmp id 7" };
            for (int f = 0; f < Math.Min(delayedTcp[w], 6); f++) flows.Add($"10.0.0.11:{40000 + f * 17} → 10.0.0.12:8080 tcp");
            var common = new StallWindow
            {
                Start = ws, End = ws + len, MaxDelayMs = len * 1000, Source = StallSource(s),
                Scope = vm ? StallScope.AllCpus : StallScope.OneCpu,
                PacketsDelayed = delayedIcmp[w] + delayedTcp[w], IcmpDelayed = delayedIcmp[w], TcpDelayed = delayedTcp[w], Flows = flows,
            };
            if (s.Live && !vm) common = common with { Cpu = hotCpu, HeldBy = $"{s.HeldByComm} (pid 4242)", RanIn = $"ksoftirqd/{hotCpu}" };
            if (s.Capture && !vm) common = common with { RxQueue = HotQueue };
            stallList.Add(common);
        }

        var cpuDelay = new List<CpuDelaySample>();
        if (s.Live)
            for (double t = Start; t < Start + s.DurationSeconds; t += s.SampleSeconds)
                for (int cpu = 0; cpu < s.Cpus; cpu++)
                {
                    double worst = 0.004 + 0.03 * rng.NextDouble();
                    foreach (var (ws, len, vm) in windows)
                        if ((vm || cpu == hotCpu) && ws < t + s.SampleSeconds && ws + len > t) worst = Math.Max(worst, len * 1000);
                    cpuDelay.Add(new CpuDelaySample(cpu, t, t + s.SampleSeconds, worst, 900 + rng.Next(200)));
                }

        var queues = new List<RxQueueAttribution>();
        if (s.Capture)
            for (int q = 0; q < s.Queues; q++)
                queues.Add(new RxQueueAttribution
                {
                    Queue = q, IcmpFlows = q == HotQueue ? 1 : 0, TcpFlows = 3 + q % 3, Flows = (q == HotQueue ? 1 : 0) + 3 + q % 3,
                    Packets = perQueuePackets[q], DelayedPackets = perQueueDelayed[q],
                    Stalls = stallList.Count(w => w.RxQueue == q),
                });

        return new StallAnalysis
        {
            Stalls = stallList, Queues = queues, CpuDelay = cpuDelay, Timeline = timeline,
            Rss = s.Capture ? new RssSettingsInfo("default Toeplitz key (Microsoft's)", s.Queues, "round robin over the queues") : null,
        };
    }

    /// <summary>The findings the detectors would write for this data, so the findings section shows them with the stalls.</summary>
    public static IReadOnlyList<Finding> Findings(StallAnalysis a, Settings s)
    {
        var oneCpu = a.Stalls.Where(w => w.Scope == StallScope.OneCpu).ToList();
        if (oneCpu.Count == 0) return [];
        var evidence = new List<Evidence>
        {
            new("Stalls on one CPU", oneCpu.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Longest wait", $"{oneCpu.Max(w => w.MaxDelayMs):0.0} ms"),
            new("Packets delayed (ICMP / TCP)", $"{oneCpu.Sum(w => w.PacketsDelayed)} ({oneCpu.Sum(w => w.IcmpDelayed)} / {oneCpu.Sum(w => w.TcpDelayed)})"),
        };
        var list = new List<Finding>();
        if (s.Live)
            list.Add(new Finding
            {
                Kind = "softirq-stall", Title = $"NET_RX softirq on CPU {oneCpu[0].Cpu} held off {oneCpu.Count} times by {s.HeldByComm}",
                Severity = Severity.High, Confidence = 0.9, WindowStart = oneCpu[0].Start, WindowEnd = oneCpu[^1].End,
                Affects = [$"CPU {oneCpu[0].Cpu}", .. oneCpu[0].Flows.Take(3)],
                Evidence = [.. evidence, new("Held by", oneCpu[0].HeldBy ?? "?"), new("Backlog ran in", oneCpu[0].RanIn ?? "?")],
                Remediation = "Find what the holding task reads in the kernel (nettrace doctor: slow kernel files, zombie memory cgroups) and stop or slow it.",
            });
        if (s.Capture)
            list.Add(new Finding
            {
                Kind = "rx-queue-stall", Title = $"Latency stalls concentrate on RX queue {HotQueue}",
                Severity = Severity.Medium, Confidence = 0.8, WindowStart = oneCpu[0].Start, WindowEnd = oneCpu[^1].End,
                Affects = [$"RX queue {HotQueue}"], Evidence = evidence,
                Remediation = "Trace the receiving node live (nettrace trace) to see which task holds the CPU serving this queue.",
            });
        return list;
    }

    private static string StallSource(Settings s) => s.Live ? "live" : "capture";

    private static double Us(double seconds) => Math.Round(seconds, 6);

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

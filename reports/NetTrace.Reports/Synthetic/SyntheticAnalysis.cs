using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Synthetic;

/// <summary>
/// A deterministic, realistic-looking analysis result of any size, for the report benchmark and tests:
/// sub-millisecond handshakes with a slower tail, periodic stalls where a backlog is released at once
/// (latency falls off in a sawtooth), SYNs lost and retransmitted at the 1 s initial RTO (and again after
/// the 2 s backoff, landing at 3 s), a few unanswered attempts, and ICMP echoes that share the stalls.
/// </summary>
public static class SyntheticAnalysis
{
    public static AnalysisResult Create(int handshakes, int seed = 42, double durationSeconds = 600)
    {
        var rng = new Random(seed);
        double start = 1_780_000_000.0; // a fixed instant keeps renders comparable
        var hs = new Handshake[handshakes];
        var servers = new[] { "10.96.0.12:443", "10.96.4.7:5432", "203.0.113.10:443", "10.244.2.9:8080" };
        var serverNames = new[] { "payments (ClusterIP)", "postgres-0/postgres", null, "inventory-5d8f/app" };
        int retrans = 0;
        for (int i = 0; i < handshakes; i++)
        {
            double t = start + durationSeconds * i / Math.Max(1, handshakes) + rng.NextDouble() * 1e-3;
            int srv = rng.Next(servers.Length);
            double synAck = BaseRttMicros(rng) + StallMicros(t - start);
            var gaps = Array.Empty<double>();
            var outcome = HandshakeOutcome.Established;
            double roll = rng.NextDouble();
            if (roll < 0.0002) { outcome = HandshakeOutcome.Unanswered; gaps = [1_000_000 + Jitter(rng), 2_000_000 + Jitter(rng)]; }
            else if (roll < 0.0007) gaps = [1_000_000 + Jitter(rng), 2_000_000 + Jitter(rng)];          // lands near 3 s
            else if (roll < 0.0057) gaps = [1_000_000 + Jitter(rng)];                                     // lands near 1 s
            double lostTime = gaps.Sum();
            if (gaps.Length > 0) retrans++;
            int pod = rng.Next(200);
            hs[i] = new Handshake
            {
                Client = $"10.244.{pod / 50}.{pod % 50 + 10}:{32768 + rng.Next(28000)}",
                Server = servers[srv],
                SynTime = t,
                SynAckRttMicros = outcome == HandshakeOutcome.Unanswered ? null : synAck + lostTime,
                AckRttMicros = outcome == HandshakeOutcome.Unanswered ? null : synAck + lostTime + 15 + rng.NextDouble() * 40,
                SynRetransmits = gaps.Length,
                SynRetransmitGapsMicros = gaps,
                Outcome = outcome,
                ClientName = $"checkout-{pod:x3}/checkout",
                ServerName = serverNames[srv],
            };
        }

        int echoCount = Math.Max(1, handshakes / 100);
        var echoes = new IcmpEcho[echoCount];
        for (int i = 0; i < echoCount; i++)
        {
            double t = start + durationSeconds * i / echoCount;
            echoes[i] = new IcmpEcho
            {
                Src = "10.0.0.11", Dst = "10.0.0.12", Id = 7, Seq = i & 0xffff, RequestTime = t,
                RttMicros = rng.NextDouble() < 0.001 ? null : 80 + rng.NextDouble() * 60 + StallMicros(t - start),
            };
        }

        var sources = new[]
        {
            new SourceInfo("synthetic/node-a.pcapng", "pcapng", ["ethernet"], handshakes * 3L + echoCount * 2L,
                DateTimeOffset.FromUnixTimeMilliseconds((long)(start * 1000)),
                DateTimeOffset.FromUnixTimeMilliseconds((long)((start + durationSeconds) * 1000)), true, ["synthetic benchmark input"]),
        };
        return new AnalysisResult
        {
            Sources = sources,
            Summary = new CaptureSummary
            {
                Frames = sources[0].Frames, Ipv4 = sources[0].Frames, Tcp = handshakes * 3L, Icmp = echoCount * 2L,
                TcpStreams = handshakes, Syn = handshakes + retrans, SynAck = handshakes, SynRetransmits = retrans,
            },
            Handshakes = hs,
            IcmpEchoes = echoes,
            Flows = [],
            Findings =
            [
                new Finding
                {
                    Kind = "syn-retransmit-initial-rto", Title = $"{retrans:N0} connects waited for the 1 s initial RTO",
                    Severity = Severity.High, Confidence = 0.9, WindowStart = start, WindowEnd = start + durationSeconds,
                    Affects = ["checkout → payments (ClusterIP)"],
                    Evidence = [new Evidence("SYNs retransmitted at ≈1 s", retrans.ToString("N0"))],
                    Remediation = "Check conntrack insert_failed and use MASQUERADE --random-fully.",
                },
            ],
            Problems = [],
        };
    }

    /// <summary>Lognormal body around 250 µs with a 5 % slower mode around 2 ms.</summary>
    private static double BaseRttMicros(Random rng)
    {
        double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        double median = rng.NextDouble() < 0.05 ? 2000 : 250;
        return median * Math.Exp(0.35 * z);
    }

    /// <summary>Every 47 s a 400 ms stall: packets queue, then drain together, so delay falls from 400 ms to 0.</summary>
    private static double StallMicros(double sinceStart)
    {
        double phase = sinceStart % 47.0;
        return phase < 0.4 ? (0.4 - phase) * 1e6 : 0;
    }

    private static double Jitter(Random rng) => rng.NextDouble() * 4000;
}

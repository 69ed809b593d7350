using System.Text.Json;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Output;

/// <summary>
/// The "stalls" member of the analysis JSON (docs/analyze-json-schema.md, "Stalls"): receive-path stalls, RX-queue
/// attribution, per-CPU NET_RX delay and the latency timeline. Same conventions as the rest of the document:
/// times are Unix seconds with six decimals; delays and latencies here are milliseconds with three decimals
/// (the model's unit, microsecond precision); optional members are omitted.
/// </summary>
internal static class JsonStallsWriter
{
    public static void Write(Utf8JsonWriter w, StallAnalysis s)
    {
        w.WriteStartObject("stalls");
        w.WriteStartArray("windows");
        foreach (var x in s.Stalls)
        {
            w.WriteStartObject();
            JsonResultWriter.Time(w, "start", x.Start);
            JsonResultWriter.Time(w, "end", x.End);
            Ms(w, "maxDelayMs", x.MaxDelayMs);
            w.WriteString("source", x.Source);
            w.WriteString("scope", Scope(x.Scope));
            if (x.Cpu is int cpu) w.WriteNumber("cpu", cpu);
            if (x.RxQueue is int q) w.WriteNumber("rxQueue", q);
            w.WriteNumber("packetsDelayed", x.PacketsDelayed);
            w.WriteNumber("icmpDelayed", x.IcmpDelayed);
            w.WriteNumber("tcpDelayed", x.TcpDelayed);
            w.WriteStartArray("flows");
            foreach (var f in x.Flows) w.WriteStringValue(f);
            w.WriteEndArray();
            JsonResultWriter.OptString(w, "heldBy", x.HeldBy);
            JsonResultWriter.OptString(w, "ranIn", x.RanIn);
            w.WriteEndObject();
            JsonResultWriter.Drain(w);
        }
        w.WriteEndArray();

        w.WriteStartArray("queues");
        foreach (var q in s.Queues)
        {
            w.WriteStartObject();
            w.WriteNumber("queue", q.Queue);
            w.WriteNumber("flows", q.Flows);
            w.WriteNumber("icmpFlows", q.IcmpFlows);
            w.WriteNumber("tcpFlows", q.TcpFlows);
            w.WriteNumber("packets", q.Packets);
            w.WriteNumber("delayedPackets", q.DelayedPackets);
            w.WriteNumber("stalls", q.Stalls);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("cpuDelay");
        foreach (var c in s.CpuDelay)
        {
            w.WriteStartObject();
            w.WriteNumber("cpu", c.Cpu);
            JsonResultWriter.Time(w, "start", c.Start);
            JsonResultWriter.Time(w, "end", c.End);
            Ms(w, "maxDelayMs", c.MaxDelayMs);
            w.WriteNumber("count", c.Count);
            w.WriteEndObject();
            JsonResultWriter.Drain(w);
        }
        w.WriteEndArray();

        w.WriteStartArray("timeline");
        foreach (var p in s.Timeline)
        {
            w.WriteStartObject();
            JsonResultWriter.Time(w, "time", p.Time);
            Ms(w, "latencyMs", p.LatencyMs);
            w.WriteString("kind", p.Kind);
            if (p.RxQueue is int q) w.WriteNumber("rxQueue", q);
            if (p.Cpu is int cpu) w.WriteNumber("cpu", cpu);
            if (p.InStall) w.WriteBoolean("inStall", true);
            w.WriteEndObject();
            JsonResultWriter.Drain(w);
        }
        w.WriteEndArray();

        if (s.Rss is { } rss)
        {
            w.WriteStartObject("rss");
            w.WriteString("keySource", rss.KeySource);
            w.WriteNumber("queues", rss.Queues);
            w.WriteString("indirectionSource", rss.IndirectionSource);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static string Scope(StallScope s) => s switch
    {
        StallScope.OneCpu => "one-cpu",
        StallScope.AllCpus => "all-cpus",
        _ => "unknown",
    };

    public static StallScope ParseScope(string? s) => s switch
    {
        "one-cpu" => StallScope.OneCpu,
        "all-cpus" => StallScope.AllCpus,
        _ => StallScope.Unknown,
    };

    /// <summary>Milliseconds with microsecond precision (three decimals), null when not finite.</summary>
    private static void Ms(Utf8JsonWriter w, string name, double ms) => JsonResultWriter.Micros(w, name, ms);
}

using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Output;

/// <summary>
/// Writes an <see cref="AnalysisResult"/> as the documented JSON (docs/analyze-json-schema.md), streaming with
/// Utf8JsonWriter. Times are Unix seconds with exactly six decimals (microseconds); RTTs are microseconds with
/// three decimals (nanosecond captures keep their precision).
/// </summary>
public static class JsonResultWriter
{
    public const int SchemaVersion = 1;

    public static void Write(AnalysisResult r, Stream output, bool indented = true)
    {
        // The relaxed encoder keeps "→" and non-ASCII readable; it still escapes quotes, control characters and
        // the characters that matter inside JSON strings. Consumers embedding it in HTML must escape again.
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        w.WriteString("tool", "nettrace " + r.ToolVersion);
        Sources(w, r.Sources);
        Summary(w, r.Summary);
        Handshakes(w, r.Handshakes);
        Echoes(w, r.IcmpEchoes);
        Flows(w, r.Flows);
        Findings(w, r.Findings);
        Problems(w, r.Problems);
        // Optional and additive (no schema bump): absent when the run did not look for receive-path stalls.
        if (r.Stalls is { } stalls) JsonStallsWriter.Write(w, stalls);
        w.WriteEndObject();
        w.Flush();
    }

    public static string ToJson(AnalysisResult r, bool indented = true)
    {
        using var ms = new MemoryStream();
        Write(r, ms, indented);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Sources(Utf8JsonWriter w, IReadOnlyList<SourceInfo> sources)
    {
        w.WriteStartArray("sources");
        foreach (var s in sources)
        {
            w.WriteStartObject();
            w.WriteString("path", s.Path);
            w.WriteString("format", s.Format);
            w.WriteStartArray("linkTypes");
            foreach (var l in s.LinkTypes) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteNumber("frames", s.Frames);
            Time(w, "firstTime", UnixSeconds(s.FirstTime));
            Time(w, "lastTime", UnixSeconds(s.LastTime));
            w.WriteBoolean("complete", s.Complete);
            w.WriteStartArray("comments");
            foreach (var c in s.Comments) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    private static void Summary(Utf8JsonWriter w, CaptureSummary s)
    {
        w.WriteStartObject("summary");
        w.WriteNumber("frames", s.Frames);
        w.WriteNumber("ipv4", s.Ipv4);
        w.WriteNumber("ipv6", s.Ipv6);
        w.WriteNumber("tcp", s.Tcp);
        w.WriteNumber("udp", s.Udp);
        w.WriteNumber("icmp", s.Icmp);
        w.WriteNumber("icmpv6", s.Icmpv6);
        w.WriteNumber("tcpStreams", s.TcpStreams);
        w.WriteNumber("syn", s.Syn);
        w.WriteNumber("synAck", s.SynAck);
        w.WriteNumber("rst", s.Rst);
        w.WriteNumber("synRetransmits", s.SynRetransmits);
        w.WriteNumber("malformed", s.Malformed);
        w.WriteNumber("cutBySnaplen", s.CutBySnaplen);
        w.WriteNumber("unsupportedLinkType", s.UnsupportedLinkType);
        w.WriteNumber("vlan", s.Vlan);
        w.WriteNumber("vxlan", s.Vxlan);
        w.WriteNumber("gre", s.Gre);
        w.WriteNumber("ipInIp", s.IpInIp);
        w.WriteEndObject();
    }

    private static void Handshakes(Utf8JsonWriter w, IReadOnlyList<Handshake> hs)
    {
        w.WriteStartArray("handshakes");
        foreach (var h in hs)
        {
            w.WriteStartObject();
            w.WriteString("client", h.Client);
            w.WriteString("server", h.Server);
            Time(w, "synTime", h.SynTime);
            Micros(w, "synAckRttMicros", h.SynAckRttMicros);
            Micros(w, "ackRttMicros", h.AckRttMicros);
            w.WriteNumber("synRetransmits", h.SynRetransmits);
            w.WriteStartArray("synRetransmitGapsMicros");
            foreach (var g in h.SynRetransmitGapsMicros) MicrosValue(w, g);
            w.WriteEndArray();
            w.WriteString("outcome", Outcome(h.Outcome));
            OptString(w, "vlan", h.Vlan);
            OptString(w, "outer", h.Outer);
            OptString(w, "clientName", h.ClientName);
            OptString(w, "serverName", h.ServerName);
            if (h.SynFrame is long f) w.WriteNumber("synFrame", f);
            OptString(w, "source", h.SourceFile);
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    public static string Outcome(HandshakeOutcome o) => o switch
    {
        HandshakeOutcome.Established => "established",
        HandshakeOutcome.Refused => "refused",
        HandshakeOutcome.Unanswered => "unanswered",
        HandshakeOutcome.Reset => "reset",
        _ => "unknown",
    };

    private static void Echoes(Utf8JsonWriter w, IReadOnlyList<IcmpEcho> echoes)
    {
        w.WriteStartArray("icmpEchoes");
        foreach (var e in echoes)
        {
            w.WriteStartObject();
            w.WriteString("src", e.Src);
            w.WriteString("dst", e.Dst);
            w.WriteNumber("id", e.Id);
            w.WriteNumber("seq", e.Seq);
            Time(w, "requestTime", e.RequestTime);
            Micros(w, "rttMicros", e.RttMicros);
            w.WriteBoolean("v6", e.V6);
            OptString(w, "vlan", e.Vlan);
            OptString(w, "outer", e.Outer);
            if (e.Cpu is int cpu) w.WriteNumber("cpu", cpu);
            OptString(w, "context", e.Context);
            if (e.RequestFrame is long f) w.WriteNumber("requestFrame", f);
            OptString(w, "source", e.SourceFile);
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    private static void Flows(Utf8JsonWriter w, IReadOnlyList<FlowStats> flows)
    {
        w.WriteStartArray("flows");
        foreach (var f in flows)
        {
            w.WriteStartObject();
            w.WriteString("protocol", f.Protocol);
            w.WriteString("a", f.A);
            w.WriteString("b", f.B);
            w.WriteNumber("packetsAtoB", f.PacketsAtoB);
            w.WriteNumber("packetsBtoA", f.PacketsBtoA);
            w.WriteNumber("bytesAtoB", f.BytesAtoB);
            w.WriteNumber("bytesBtoA", f.BytesBtoA);
            Time(w, "firstTime", f.FirstTime);
            Time(w, "lastTime", f.LastTime);
            OptString(w, "vlan", f.Vlan);
            OptString(w, "outer", f.Outer);
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    private static void Findings(Utf8JsonWriter w, IReadOnlyList<Finding> findings)
    {
        w.WriteStartArray("findings");
        foreach (var f in findings)
        {
            w.WriteStartObject();
            w.WriteString("kind", f.Kind);
            w.WriteString("title", f.Title);
            w.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
            w.WriteNumber("confidence", Math.Round(f.Confidence, 2));
            Time(w, "windowStart", f.WindowStart);
            Time(w, "windowEnd", f.WindowEnd);
            w.WriteStartArray("affects");
            foreach (var a in f.Affects) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteStartArray("evidence");
            foreach (var e in f.Evidence)
            {
                w.WriteStartObject();
                w.WriteString("label", e.Label);
                w.WriteString("value", e.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("remediation", f.Remediation);
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    private static void Problems(Utf8JsonWriter w, IReadOnlyList<InputProblem> problems)
    {
        w.WriteStartArray("problems");
        foreach (var p in problems)
        {
            w.WriteStartObject();
            w.WriteString("source", p.Source);
            w.WriteString("severity", p.Severity.ToString().ToLowerInvariant());
            w.WriteString("message", p.Message);
            if (p.PacketNumber is long n) w.WriteNumber("packetNumber", n); else w.WriteNull("packetNumber");
            if (p.FileOffset is long o) w.WriteNumber("fileOffset", o); else w.WriteNull("fileOffset");
            w.WriteEndObject();
            Drain(w);
        }
        w.WriteEndArray();
    }

    public static double? UnixSeconds(DateTimeOffset? t) => t is { } v ? (v - DateTimeOffset.UnixEpoch).Ticks / 1e7 : null;

    /// <summary>Utf8JsonWriter keeps everything in memory until flushed: push it out every 64 KB so the output streams.</summary>
    internal static void Drain(Utf8JsonWriter w)
    {
        if (w.BytesPending > 1 << 16) w.Flush();
    }

    internal static void OptString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    /// <summary>Unix seconds with six decimals, written as a JSON number without going through decimal rounding twice.</summary>
    internal static void Time(Utf8JsonWriter w, string name, double? seconds)
    {
        w.WritePropertyName(name);
        if (seconds is double s && double.IsFinite(s)) Raw(w, s, "F6");
        else w.WriteNullValue();
    }

    internal static void Micros(Utf8JsonWriter w, string name, double? micros)
    {
        w.WritePropertyName(name);
        if (micros is double m && double.IsFinite(m)) Raw(w, m, "F3");
        else w.WriteNullValue();
    }

    private static void MicrosValue(Utf8JsonWriter w, double micros) => Raw(w, micros, "F3");

    internal static void Raw(Utf8JsonWriter w, double value, string format)
    {
        Span<byte> buf = stackalloc byte[48];
        if (value.TryFormat(buf, out int n, format, CultureInfo.InvariantCulture)) w.WriteRawValue(buf[..n], skipInputValidation: true);
        else w.WriteNumberValue(value);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Output;

/// <summary>
/// Reads `nettrace analyze --json` output (the twin of <see cref="JsonResultWriter"/>,
/// docs/analyze-json-schema.md) back into an <see cref="AnalysisResult"/>, so a saved analysis can be turned
/// into a report later or on another machine. Unknown properties are ignored (newer writers may add some);
/// a newer schema version or a document that is not an analysis is refused with the reason.
/// </summary>
public static class JsonResultReader
{
    public const int SupportedSchemaVersion = JsonResultWriter.SchemaVersion;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static AnalysisResult Read(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(f, path);
    }

    /// <exception cref="InvalidDataException">the stream is not a readable nettrace analysis; the message says why and where</exception>
    public static AnalysisResult Read(Stream json, string name = "input")
    {
        Doc? doc;
        try
        {
            doc = JsonSerializer.Deserialize<Doc>(json, Options);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } l ? $" at line {l + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new InvalidDataException($"{name}: not valid nettrace analysis JSON{where}: {FirstSentence(e.Message)}", e);
        }
        if (doc is null) throw new InvalidDataException($"{name}: the JSON document is null");
        if (doc.SchemaVersion is not { } version || doc.Summary is null || doc.Sources is null)
            throw new InvalidDataException($"{name}: not a nettrace analysis (no schemaVersion/summary/sources); make one with `nettrace analyze FILES --json > analysis.json`");
        if (version > SupportedSchemaVersion)
            throw new InvalidDataException($"{name}: analysis schema version {version} is newer than this nettrace understands ({SupportedSchemaVersion}); use the nettrace that wrote it");

        try
        {
            return new AnalysisResult
            {
                Sources = doc.Sources.Select(s => new SourceInfo(Req(s.Path, "sources[].path"), s.Format ?? "unknown", s.LinkTypes ?? [], s.Frames,
                    Time(s.FirstTime), Time(s.LastTime), s.Complete, s.Comments ?? [])).ToList(),
                Summary = doc.Summary.ToModel(),
                Handshakes = (doc.Handshakes ?? []).Select(h => h.ToModel()).ToList(),
                IcmpEchoes = (doc.IcmpEchoes ?? []).Select(e => e.ToModel()).ToList(),
                Flows = (doc.Flows ?? []).Select(f => new FlowStats(Req(f.Protocol, "flows[].protocol"), Req(f.A, "flows[].a"), Req(f.B, "flows[].b"),
                    f.PacketsAtoB, f.PacketsBtoA, f.BytesAtoB, f.BytesBtoA, f.FirstTime ?? double.NaN, f.LastTime ?? double.NaN, f.Outer, f.Vlan)).ToList(),
                Findings = (doc.Findings ?? []).Select(f => f.ToModel()).ToList(),
                Problems = (doc.Problems ?? []).Select(p => new InputProblem(p.Source ?? "", ParseEnum(p.Severity, ProblemSeverity.Warning),
                    p.Message ?? "", p.PacketNumber, p.FileOffset)).ToList(),
                Stalls = doc.Stalls?.ToModel(),
                ToolVersion = ToolVersionOf(doc.Tool),
            };
        }
        catch (MissingFieldException e)
        {
            throw new InvalidDataException($"{name}: {e.Message}", e);
        }
    }

    private static string ToolVersionOf(string? tool) =>
        tool is null ? "unknown" : tool.StartsWith("nettrace ", StringComparison.Ordinal) ? tool["nettrace ".Length..] : tool;

    internal static string Req(string? v, string field) => v ?? throw new MissingFieldException($"required field {field} is missing");

    private static DateTimeOffset? Time(double? unixSeconds) =>
        unixSeconds is { } s && double.IsFinite(s) ? DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(s * TimeSpan.TicksPerSecond)) : null;

    internal static T ParseEnum<T>(string? s, T fallback) where T : struct, Enum =>
        s != null && Enum.TryParse<T>(s, ignoreCase: true, out var v) ? v : fallback;

    private static string FirstSentence(string s)
    {
        int i = s.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? s[..(i + 1)] : s;
    }

    // Shapes of the documented JSON. Classes rather than the model records: the JSON spells enums in lower
    // case, writes times as Unix seconds and may lack fields older writers did not have.
    private sealed class Doc
    {
        public int? SchemaVersion { get; set; }
        public string? Tool { get; set; }
        public List<SourceDto>? Sources { get; set; }
        public SummaryDto? Summary { get; set; }
        public List<HandshakeDto>? Handshakes { get; set; }
        public List<EchoDto>? IcmpEchoes { get; set; }
        public List<FlowDto>? Flows { get; set; }
        public List<FindingDto>? Findings { get; set; }
        public List<ProblemDto>? Problems { get; set; }
        /// <summary>Absent in files written before stall analysis existed, and when the run did not look for stalls.</summary>
        public JsonStallsReader.StallsDto? Stalls { get; set; }
    }

    private sealed class SourceDto
    {
        public string? Path { get; set; }
        public string? Format { get; set; }
        public List<string>? LinkTypes { get; set; }
        public long Frames { get; set; }
        public double? FirstTime { get; set; }
        public double? LastTime { get; set; }
        public bool Complete { get; set; } = true;
        public List<string>? Comments { get; set; }
    }

    private sealed class SummaryDto
    {
        public long Frames { get; set; }
        public long Ipv4 { get; set; }
        public long Ipv6 { get; set; }
        public long Tcp { get; set; }
        public long Udp { get; set; }
        public long Icmp { get; set; }
        public long Icmpv6 { get; set; }
        public long TcpStreams { get; set; }
        public long Syn { get; set; }
        public long SynAck { get; set; }
        public long Rst { get; set; }
        public long SynRetransmits { get; set; }
        public long Malformed { get; set; }
        public long CutBySnaplen { get; set; }
        public long UnsupportedLinkType { get; set; }
        public long Vlan { get; set; }
        public long Vxlan { get; set; }
        public long Gre { get; set; }
        public long IpInIp { get; set; }

        public CaptureSummary ToModel() => new()
        {
            Frames = Frames, Ipv4 = Ipv4, Ipv6 = Ipv6, Tcp = Tcp, Udp = Udp, Icmp = Icmp, Icmpv6 = Icmpv6,
            TcpStreams = TcpStreams, Syn = Syn, SynAck = SynAck, Rst = Rst, SynRetransmits = SynRetransmits,
            Malformed = Malformed, CutBySnaplen = CutBySnaplen, UnsupportedLinkType = UnsupportedLinkType,
            Vlan = Vlan, Vxlan = Vxlan, Gre = Gre, IpInIp = IpInIp,
        };
    }

    private sealed class HandshakeDto
    {
        public string? Client { get; set; }
        public string? Server { get; set; }
        public double? SynTime { get; set; }
        public double? SynAckRttMicros { get; set; }
        public double? AckRttMicros { get; set; }
        public int SynRetransmits { get; set; }
        public List<double>? SynRetransmitGapsMicros { get; set; }
        public string? Outcome { get; set; }
        public string? Vlan { get; set; }
        public string? Outer { get; set; }
        public string? ClientName { get; set; }
        public string? ServerName { get; set; }
        public long? SynFrame { get; set; }
        public string? Source { get; set; }

        public Handshake ToModel() => new()
        {
            Client = Req(Client, "handshakes[].client"), Server = Req(Server, "handshakes[].server"),
            SynTime = SynTime ?? throw new MissingFieldException("required field handshakes[].synTime is missing"),
            SynAckRttMicros = SynAckRttMicros, AckRttMicros = AckRttMicros, SynRetransmits = SynRetransmits,
            SynRetransmitGapsMicros = SynRetransmitGapsMicros ?? [], Outcome = ParseEnum(Outcome, HandshakeOutcome.Unknown),
            Vlan = Vlan, Outer = Outer, ClientName = ClientName, ServerName = ServerName, SynFrame = SynFrame, SourceFile = Source,
        };
    }

    private sealed class EchoDto
    {
        public string? Src { get; set; }
        public string? Dst { get; set; }
        public int Id { get; set; }
        public int Seq { get; set; }
        public double? RequestTime { get; set; }
        public double? RttMicros { get; set; }
        public bool V6 { get; set; }
        public string? Vlan { get; set; }
        public string? Outer { get; set; }
        public int? Cpu { get; set; }
        public string? Context { get; set; }
        public long? RequestFrame { get; set; }
        public string? Source { get; set; }

        public IcmpEcho ToModel() => new()
        {
            Src = Req(Src, "icmpEchoes[].src"), Dst = Req(Dst, "icmpEchoes[].dst"), Id = Id, Seq = Seq,
            RequestTime = RequestTime ?? throw new MissingFieldException("required field icmpEchoes[].requestTime is missing"),
            RttMicros = RttMicros, V6 = V6, Vlan = Vlan, Outer = Outer, Cpu = Cpu, Context = Context,
            RequestFrame = RequestFrame, SourceFile = Source,
        };
    }

    private sealed class FlowDto
    {
        public string? Protocol { get; set; }
        public string? A { get; set; }
        public string? B { get; set; }
        public long PacketsAtoB { get; set; }
        public long PacketsBtoA { get; set; }
        public long BytesAtoB { get; set; }
        public long BytesBtoA { get; set; }
        public double? FirstTime { get; set; }
        public double? LastTime { get; set; }
        public string? Vlan { get; set; }
        public string? Outer { get; set; }
    }

    private sealed class FindingDto
    {
        public string? Kind { get; set; }
        public string? Title { get; set; }
        public string? Severity { get; set; }
        public double Confidence { get; set; }
        public double? WindowStart { get; set; }
        public double? WindowEnd { get; set; }
        public List<string>? Affects { get; set; }
        public List<EvidenceDto>? Evidence { get; set; }
        public string? Remediation { get; set; }

        public Finding ToModel() => new()
        {
            Kind = Req(Kind, "findings[].kind"), Title = Title ?? Kind!, Severity = ParseEnum(Severity, Analyzer.Model.Severity.Info),
            Confidence = Confidence, WindowStart = WindowStart, WindowEnd = WindowEnd, Affects = Affects ?? [],
            Evidence = (Evidence ?? []).Select(e => new Evidence(e.Label ?? "", e.Value ?? "")).ToList(),
            Remediation = Remediation ?? "",
        };
    }

    private sealed class EvidenceDto
    {
        public string? Label { get; set; }
        public string? Value { get; set; }
    }

    private sealed class ProblemDto
    {
        public string? Source { get; set; }
        public string? Severity { get; set; }
        public string? Message { get; set; }
        public long? PacketNumber { get; set; }
        public long? FileOffset { get; set; }
    }
}

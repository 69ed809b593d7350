namespace NetTrace.Analyzer.Model;

/// <summary>One ICMP / ICMPv6 echo request and its reply (if any).</summary>
public sealed record IcmpEcho
{
    public required string Src { get; init; }
    public required string Dst { get; init; }
    public required int Id { get; init; }
    public required int Seq { get; init; }
    public required double RequestTime { get; init; }      // Unix seconds
    public double? RttMicros { get; init; }               // null = unanswered
    public bool V6 { get; init; }
    /// <summary>CPU and context that handled the echo, when it came from a tracer recording.</summary>
    public int? Cpu { get; init; }
    public string? Context { get; init; }
}

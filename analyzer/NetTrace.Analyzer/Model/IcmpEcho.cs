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
    public string? Outer { get; init; }
    public string? Vlan { get; init; }
    public long? RequestFrame { get; init; }
    public string? SourceFile { get; init; }
    /// <summary>
    /// Only the receiver of the request was observed (a tracer recording's echo event), so no reply is expected in
    /// this input: a null RTT here is not a loss.
    /// </summary>
    public bool ReceiverOnly { get; init; }
}

namespace NetTrace.Lab.SnatRace;

/// <summary>One connect of the lab, as the client saw it.</summary>
/// <param name="LatencySeconds">connect() start to completion; null when it never completed (see Error).</param>
/// <param name="SynRetransmits">tcpi_total_retrans right after the handshake: SYNs the kernel had to resend.</param>
public sealed record ConnectSample(
    int Pod,
    int Round,
    string Client,            // pod ip:port (pre-NAT)
    double StartUnixSeconds,
    double? LatencySeconds,
    int? SynRetransmits,
    string? Error)
{
    /// <summary>A connect that waited for at least one SYN retransmit: the initial RTO is 1 s, so anything from
    /// 0.9 s up (or never) is that; a clean veth handshake here takes well under a millisecond.</summary>
    public bool Slow => LatencySeconds is null || LatencySeconds >= SlowThresholdSeconds;

    public const double SlowThresholdSeconds = 0.9;
}

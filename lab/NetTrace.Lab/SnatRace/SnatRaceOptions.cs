namespace NetTrace.Lab.SnatRace;

/// <param name="Pods">pod namespaces racing each round (2 = one pair; each gets its own CPU while CPUs last)</param>
/// <param name="Rounds">racing rounds; every pod makes one connect per round</param>
/// <param name="RandomFully">MASQUERADE --random-fully: the fix</param>
/// <param name="EphemeralPorts">let the kernel pick source ports (ordinary traffic) instead of forcing equal ones</param>
/// <param name="CaptureDir">write pre.pcap (bridge, pod side) and post.pcap (node uplink, after SNAT) here</param>
public sealed record SnatRaceOptions(
    int Pods = 2,
    int Rounds = 500,
    bool RandomFully = false,
    bool EphemeralPorts = false,
    string? CaptureDir = null,
    int ServerPort = 8080,
    int BasePort = 20000)
{
    /// <summary>Connects still retrying after the last round get this long: one initial RTO (1 s) plus a second
    /// retransmit (3 s after the first SYN) and slack.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Run the conntrack NAT eBPF probe in the node namespace during the race and join its clash drops.</summary>
    public bool Trace { get; init; }

    public void Validate()
    {
        if (Pods is < 2 or > 8) throw new ArgumentException("--pods must be between 2 and 8 (a race needs two)");
        if (Rounds is < 1 or > 20000) throw new ArgumentException("--rounds must be between 1 and 20000");
        if (BasePort + Rounds > 65535) throw new ArgumentException("--rounds too large for the source-port range");
    }
}

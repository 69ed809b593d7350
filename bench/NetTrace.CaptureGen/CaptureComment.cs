namespace NetTrace.CaptureGen;

public static class CaptureComment
{
    /// <summary>The comment stored in the file, so anyone opening it knows it is synthetic and how to remake it.</summary>
    public static string For(TrafficProfile p) =>
        $"Synthetic capture made by NetTrace.CaptureGen (bench/NetTrace.CaptureGen), profile '{p.Name}', seed {p.Seed}. " +
        "Not real traffic: pods on one node talking to services, with SYNs lost and retransmitted at the 1 s initial RTO, " +
        "refused and unanswered connects, DNS lookups, and pings delayed by RX-queue stalls.";
}

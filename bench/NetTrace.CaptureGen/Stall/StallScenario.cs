namespace NetTrace.CaptureGen.Stall;

/// <summary>Where the capture was taken: at the host sending the probes, or at the host whose RX queues stall.</summary>
public enum StallCapturePoint { Sender, Receiver }

/// <summary>
/// Story 1 as a capture: a requester pings a responder and opens TCP connections to it from many source ports while
/// the responder's RX queues stall now and then (one queue at a time), and the whole responder pauses a few times.
/// A packet reaching the responder on a stalled queue waits until the stall ends and is then processed with the rest
/// of the backlog in one burst. Decoys that are not stalls: single late replies and a stretch where the path itself
/// is slow for every packet.
/// </summary>
public sealed record StallScenario
{
    public ulong Seed { get; init; } = 1;
    public StallCapturePoint Capture { get; init; } = StallCapturePoint.Sender;
    public long StartUnixSeconds { get; init; } = 1_772_445_600; // 2026-03-02 10:00:00 UTC
    public double DurationSeconds { get; init; } = 60;
    public bool V6 { get; init; }
    public ushort ServerPort { get; init; } = 8080;

    /// <summary>ping -i 0.01: the pings of one host pair all hash to one queue (addresses only).</summary>
    public double PingIntervalMs { get; init; } = 10;
    public double ConnectsPerSecond { get; init; } = 400;
    public double OneWayMicros { get; init; } = 150;

    public int Queues { get; init; } = 8;
    public byte[] Key { get; init; } = ToeplitzQueue.MicrosoftKey;

    public int OneQueueStalls { get; init; } = 30;
    /// <summary>Share of one-queue stalls placed on the queue the pings use, as in the story (pings caught in stalls).</summary>
    public double IcmpQueueShare { get; init; } = 0.25;
    public int Pauses { get; init; } = 5;
    public double StallMinMs { get; init; } = 40;
    public double StallMaxMs { get; init; } = 400;

    /// <summary>Single replies delayed on the path by 20-150 ms: outliers, not stalls.</summary>
    public double OutlierRate { get; init; } = 0.003;
    /// <summary>One stretch of this long where every round trip is this much slower (queueing on the path): not a stall.</summary>
    public double SlowPathSeconds { get; init; } = 3;
    public double SlowPathExtraMs { get; init; } = 30;

    public byte[] RequesterIp => V6 ? [0xfd, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] : [10, 20, 0, 1];
    public byte[] ResponderIp => V6 ? [0xfd, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] : [10, 20, 0, 2];
}

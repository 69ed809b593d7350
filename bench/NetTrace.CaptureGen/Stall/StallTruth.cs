using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetTrace.CaptureGen.Stall;

/// <summary>One stall the generator applied at the responder, with what it held.</summary>
public sealed class StallTruthWindow
{
    /// <summary>"one-queue" or "pause" (every queue).</summary>
    public string Kind { get; set; } = "";
    public int? Queue { get; set; }
    public double Start { get; set; }   // Unix seconds, at the responder
    public double End { get; set; }
    /// <summary>Probes (echo requests, first SYNs) whose request waited in this stall, and those that waited at least 5 ms.</summary>
    public int ProbesHeld { get; set; }
    public int ProbesHeldOver5Ms { get; set; }
    public int IcmpHeld { get; set; }
    public int TcpHeld { get; set; }
}

/// <summary>Ground truth of a stall scenario capture, written beside it as JSON.</summary>
public sealed class StallTruth
{
    public string Scenario { get; set; } = "stall";
    public ulong Seed { get; set; }
    public string Capture { get; set; } = "";
    public string Requester { get; set; } = "";
    public string Responder { get; set; } = "";
    public int Queues { get; set; }
    public string Key { get; set; } = "";
    /// <summary>The queue every echo request lands on at the responder (ICMP hashes on addresses only).</summary>
    public int IcmpQueue { get; set; }
    public List<StallTruthWindow> Windows { get; set; } = [];
    public double SlowPathStart { get; set; }
    public double SlowPathEnd { get; set; }
    public int Outliers { get; set; }
    public long Frames { get; set; }
    public long Pings { get; set; }
    public long Connects { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static StallTruth FromJson(string json) => JsonSerializer.Deserialize<StallTruth>(json, Json)!;
}

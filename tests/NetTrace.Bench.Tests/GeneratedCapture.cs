using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Writers;

namespace NetTrace.Bench.Tests;

/// <summary>Generates a capture into a temporary file and deletes it with the test.</summary>
public sealed class GeneratedCapture : IDisposable
{
    public string Path { get; }
    public GenerationTruth Truth { get; }

    public GeneratedCapture(TrafficProfile profile, CaptureFormat format = CaptureFormat.PcapNg, bool nanos = false)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nt-gen-{Guid.NewGuid():N}.{(format == CaptureFormat.Pcap ? "pcap" : "pcapng")}");
        using var stream = CaptureWriters.OpenFile(Path);
        using var writer = CaptureWriters.Create(stream, format, nanos, profile.SnapLength, CaptureComment.For(profile));
        Truth = new TrafficGenerator(profile).Generate(writer);
    }

    public void Dispose() => File.Delete(Path);
}

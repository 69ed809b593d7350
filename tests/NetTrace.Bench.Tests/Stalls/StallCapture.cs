using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Stall;
using NetTrace.CaptureGen.Writers;

namespace NetTrace.Bench.Tests.Stalls;

/// <summary>A stall scenario capture in a temporary file with its ground truth; deleted with the test.</summary>
public sealed class StallCapture : IDisposable
{
    public string Path { get; }
    public StallTruth Truth { get; }

    public StallCapture(StallScenario scenario)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nt-stall-{Guid.NewGuid():N}.pcapng");
        using var stream = CaptureWriters.OpenFile(Path);
        using var writer = CaptureWriters.Create(stream, CaptureFormat.PcapNg, nanoseconds: true, 262144, "stall scenario (test)");
        Truth = new StallScenarioGenerator(scenario).Generate(writer);
    }

    public void Dispose() => File.Delete(Path);
}

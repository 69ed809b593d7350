using System.Diagnostics;
using NetTrace.CaptureGen.Writers;

namespace NetTrace.CaptureGen.Stall;

/// <summary>`capturegen --profile stall-sender|stall-receiver`: writes the stall scenario and its truth JSON.</summary>
public static class StallCommand
{
    public static int Run(FileInfo file, FileInfo? truthFile, bool receiver, ulong seed, bool nanos)
    {
        var scenario = new StallScenario { Seed = seed, Capture = receiver ? StallCapturePoint.Receiver : StallCapturePoint.Sender };
        file.Directory?.Create();
        var clock = Stopwatch.StartNew();
        StallTruth truth;
        using (var stream = CaptureWriters.OpenFile(file.FullName))
        using (var writer = CaptureWriters.Create(stream, CaptureFormat.PcapNg, nanos, 262144,
                   $"Synthetic capture made by NetTrace.CaptureGen, stall scenario seed {seed}, captured at the {(receiver ? "responder" : "requester")}: " +
                   "pings and TCP connects between two hosts while the responder's RX queues stall one at a time and the host pauses now and then."))
        {
            truth = new StallScenarioGenerator(scenario).Generate(writer);
        }
        string path = truthFile?.FullName ?? file.FullName + ".truth.json";
        File.WriteAllText(path, truth.ToJson());
        Console.Error.WriteLine($"capturegen: {truth.Frames:N0} frames, {truth.Windows.Count} stall windows ({truth.Windows.Count(w => w.Kind == "pause")} pauses), " +
                                $"{truth.Pings:N0} pings, {truth.Connects:N0} connects in {clock.Elapsed.TotalSeconds:N1} s -> {file.FullName} (truth: {path})");
        return 0;
    }
}

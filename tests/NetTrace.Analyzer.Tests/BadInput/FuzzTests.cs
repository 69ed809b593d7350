using System.Diagnostics;
using NetTrace.Analyzer.Model;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Analyzer.Tests.BadInput;

/// <summary>
/// Mutated real captures must never crash or hang the analyzer. Bounded in the suite (6 s, fixed seed);
/// scripts/fuzz.sh runs the same loop for as long as asked (NETTRACE_FUZZ_SECONDS, NETTRACE_FUZZ_SEED).
/// A failing input is kept in /tmp with its seed and iteration in the name, so it can be replayed.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        "chrissanders-latency2.pcapng", "chrissanders-http_ip4and6.pcapng", "pcapplusplus-many_interfaces-1.pcapng",
        "zeek-vlan-collisions.pcap", "zeek-vxlan-encapsulated-http.pcap", "zeek-gre-sample.pcap", "pcapplusplus-raw_ip.pcap",
        "pcapplusplus-sll2.pcap", "zeek-ping6-in-ipv4.pcap", "chrissanders-icmp_traceroute.pcapng", "zeek-tcp-truncated-header.pcap",
    ];

    [Fact]
    public void Mutated_captures_never_crash_or_hang()
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("NETTRACE_FUZZ_SECONDS"), out var s) ? s : 6;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("NETTRACE_FUZZ_SEED"), out var sd) ? sd : 20261127;
        var rng = new Random(seed);
        var originals = Seeds.Select(n => (Name: n, Bytes: File.ReadAllBytes(SharedPcaps.File(n)))).ToArray();
        var dir = Directory.CreateTempSubdirectory("nt-fuzz-");
        var clock = Stopwatch.StartNew();
        int iterations = 0, unreadable = 0, damaged = 0;
        try
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var (name, original) = originals[rng.Next(originals.Length)];
                var mutated = Mutate(original, rng);
                var path = Path.Combine(dir.FullName, $"seed{seed}-iter{iterations}-{name}");
                File.WriteAllBytes(path, mutated);
                var one = Stopwatch.StartNew();
                AnalysisResult r;
                try
                {
                    r = CaptureAnalyzer.Analyze([path], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
                    // The outputs must also survive whatever the input contained.
                    _ = Output.JsonResultWriter.ToJson(r);
                    Output.TerminalSummary.Write(r, TextWriter.Null);
                }
                catch (Exception e)
                {
                    var keep = Path.Combine(Path.GetTempPath(), Path.GetFileName(path));
                    File.Copy(path, keep, overwrite: true);
                    throw new Xunit.Sdk.XunitException($"iteration {iterations} (seed {seed}) crashed on {keep}: {e}");
                }
                Assert.True(one.Elapsed < TimeSpan.FromSeconds(5), $"iteration {iterations} took {one.Elapsed} on {path}");
                int code = CaptureAnalyzer.ExitCode(r);
                if (code == 2) unreadable++;
                else if (code == 1) damaged++;
                Assert.True(r.Summary.Frames <= mutated.Length / 12 + 1, "more frames than the file could hold");
                File.Delete(path);
                iterations++;
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        TestContext.Current.SendDiagnosticMessage($"fuzz: {iterations} inputs in {clock.Elapsed.TotalSeconds:0.0} s, {damaged} damaged, {unreadable} unreadable");
        Assert.True(iterations > 50, $"only {iterations} iterations ran");
        Assert.True(damaged > 0, "no mutation produced damage: the mutator is not doing its job");
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var b = original.ToArray();
        switch (rng.Next(6))
        {
            case 0: // flip a few random bytes anywhere
                for (int i = rng.Next(1, 20); i > 0; i--) b[rng.Next(b.Length)] ^= (byte)rng.Next(1, 256);
                break;
            case 1: // truncate
                b = b[..rng.Next(b.Length)];
                break;
            case 2: // plant a huge length field (caplen / block length / IP length)
                int at = rng.Next(Math.Max(1, b.Length - 4));
                b[at] = 0xFF; b[at + 1] = 0xFF; b[at + 2] = (byte)rng.Next(256); b[at + 3] = 0x7F;
                break;
            case 3: // duplicate a chunk (misaligned framing)
                int from = rng.Next(b.Length), len = rng.Next(1, Math.Min(512, b.Length - from + 1));
                int to = rng.Next(b.Length);
                b = [.. b[..to], .. b.AsSpan(from, Math.Min(len, b.Length - from)).ToArray(), .. b[to..]];
                break;
            case 4: // zero a region (lengths of 0, versions of 0)
                int z = rng.Next(b.Length);
                Array.Clear(b, z, Math.Min(rng.Next(1, 64), b.Length - z));
                break;
            default: // damage only packet bytes after the file header: exercises the decoder rather than the reader
                for (int i = rng.Next(5, 60); i > 0; i--)
                {
                    int p = 32 + rng.Next(Math.Max(1, b.Length - 32));
                    if (p < b.Length) b[p] = (byte)rng.Next(256);
                }
                break;
        }
        return b;
    }
}

using NetTrace.Analyzer.Inputs;
using NetTrace.Analyzer.Model;
using Xunit;

namespace NetTrace.Analyzer.Tests.Readers;

/// <summary>The extension point other formats (e.g. .ntrace recordings) plug into.</summary>
public class InputReaderRegistryTests
{
    /// <summary>A toy format: "TOYFMT\n" then one line per connect: client server rtt-µs.</summary>
    private sealed class ToyReader : IInputReader
    {
        public string Name => "toy-test-format";
        public bool CanRead(string path, ReadOnlySpan<byte> head) => head.StartsWith("TOYFMT\n"u8);

        public SourceInfo Read(string path, AnalysisSink sink, CancellationToken ct)
        {
            int n = 0;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var parts = line.Split(' ');
                sink.AddHandshake(new Handshake
                {
                    Client = parts[0], Server = parts[1], SynTime = 1_700_000_000 + n,
                    SynAckRttMicros = double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
                    Outcome = HandshakeOutcome.Established,
                });
                n++;
            }
            sink.AddProblem(new InputProblem(path, ProblemSeverity.Info, "toy format read"));
            return new SourceInfo(path, "toy", [], n, null, null, true, []);
        }
    }

    [Fact]
    public void Registered_reader_is_picked_by_content_and_its_facts_join_the_capture_results()
    {
        InputReaders.Register(new ToyReader());
        Assert.Contains(InputReaders.All, r => r.Name == "toy-test-format");
        Assert.Contains(InputReaders.All, r => r.Name == "native");
        Assert.Contains(InputReaders.All, r => r.Name == "libpcap" && !r.Automatic);

        var toy = Path.Combine(Path.GetTempPath(), $"nt-toy-{Guid.NewGuid():N}.toy");
        File.WriteAllText(toy, "TOYFMT\n10.0.0.1:1 10.0.0.2:80 900000\n10.0.0.3:2 10.0.0.2:80 1000\n");
        try
        {
            var capture = NetTrace.TestSupport.SharedPcaps.File("chrissanders-latency1.pcapng");
            var r = CaptureAnalyzer.Analyze([capture, toy], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            Assert.Equal(["pcapng-le", "toy"], r.Sources.Select(s => s.Format));
            Assert.Equal(3, r.Handshakes.Count);                       // 1 from the capture, then the 2 recorded ones
            Assert.Equal("10.0.0.1:1", r.Handshakes[1].Client);
            Assert.Contains(r.Findings, f => f.Kind == "slow-handshake" && f.Affects.Contains("10.0.0.2:80"));
            Assert.Equal(0, CaptureAnalyzer.ExitCode(r));
        }
        finally
        {
            File.Delete(toy);
        }
    }
}

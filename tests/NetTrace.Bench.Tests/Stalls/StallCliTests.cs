using System.Text.Json;
using NetTrace.Analyzer.Stalls;
using NetTrace.CaptureGen.Stall;
using NetTrace.Cli.Commands;
using Xunit;

namespace NetTrace.Bench.Tests.Stalls;

public class StallCliTests
{
    private static (int Code, string Out, string Err) Run(AnalyzeOptions o)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = AnalyzeHandler.Run(o with { Quiet = true }, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string EthtoolText(int rings, int[] table, byte[] key)
    {
        var sb = new System.Text.StringBuilder($"RX flow hash indirection table for eth0 with {rings} RX ring(s):\n");
        for (int i = 0; i < table.Length; i += 8)
            sb.Append($"{i,5}: ").Append(string.Concat(table.Skip(i).Take(8).Select(q => $" {q,5}"))).Append('\n');
        sb.Append("RSS hash key:\n").Append(string.Join(':', key.Select(b => b.ToString("x2")))).Append('\n');
        sb.Append("RSS hash function:\n    toeplitz: on\n    xor: off\n    crc32: off\n");
        return sb.ToString();
    }

    [Fact]
    public void Analyze_names_the_stalled_queue_with_the_nics_saved_ethtool_settings()
    {
        // The responder's NIC: 4 queues, its own key, an uneven table; the generator hashes with the same settings.
        byte[] key = Convert.FromHexString("3cb20f5e91aa0417c83d22e67b109f45d1086abf33c27e940518eea1426db9f027815cc60bd473e9");
        var scenario = new StallScenario { Seed = 21, DurationSeconds = 20, Queues = 4, Key = key, OneQueueStalls = 8, Pauses = 1 };
        using var capture = new StallCapture(scenario);
        var ethtool = Path.Combine(Path.GetTempPath(), $"nt-ethtool-{Guid.NewGuid():N}.txt");
        File.WriteAllText(ethtool, EthtoolText(4, RssSettings.RoundRobin(4), key));
        try
        {
            var (code, text, err) = Run(new AnalyzeOptions { Paths = [capture.Path], EthtoolX = ethtool });
            Assert.Equal(0, code);
            Assert.Equal("", err);
            Assert.Contains("RX stalls  9: 8 on one queue/CPU, 1 whole-host pause(s)", text);
            Assert.Contains("(RSS: 4 queue(s), key ethtool -x eth0", text);
            int busiest = capture.Truth.Windows.Where(w => w.Queue is not null).GroupBy(w => w.Queue!.Value).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            Assert.Contains($"mostly on RX queue {busiest} of 10.20.0.2", text);

            var (_, json, _) = Run(new AnalyzeOptions { Paths = [capture.Path], EthtoolX = ethtool, Json = true });
            using var doc = JsonDocument.Parse(json);
            var windows = doc.RootElement.GetProperty("stalls").GetProperty("windows");
            Assert.Equal(9, windows.GetArrayLength());
            var wantQueues = capture.Truth.Windows.Where(w => w.Queue is not null).Select(w => w.Queue!.Value).ToList();
            var gotQueues = windows.EnumerateArray().Where(w => w.TryGetProperty("rxQueue", out _)).Select(w => w.GetProperty("rxQueue").GetInt32()).ToList();
            Assert.Equal(wantQueues, gotQueues);
        }
        finally
        {
            File.Delete(ethtool);
        }
    }

    [Fact]
    public void Bad_rss_options_are_usage_errors_with_a_reason()
    {
        var p = new AnalyzeOptions { Paths = ["/nonexistent.pcap"] };
        var (code, _, err) = Run(p with { RssKey = "6d:5a:zz" });
        Assert.Equal(64, code);
        Assert.Contains("not hex", err);
        (code, _, err) = Run(p with { RssKey = "6d5a56da" });
        Assert.Equal(64, code);
        Assert.Contains("needs 40", err);
        (code, _, err) = Run(p with { RssQueues = 4, RssIndirection = "0,1" });
        Assert.Equal(64, code);
        Assert.Contains("not both", err);
        (code, _, err) = Run(p with { EthtoolX = "/nonexistent/ethtool.txt" });
        Assert.Equal(64, code);
        Assert.Contains("--ethtool-x", err);
    }

    [Fact]
    public void Command_line_settings_override_the_saved_ethtool_output()
    {
        var ethtool = Path.Combine(Path.GetTempPath(), $"nt-ethtool-{Guid.NewGuid():N}.txt");
        File.WriteAllText(ethtool, EthtoolText(2, [0, 1, 0, 1, 0, 1, 0, 1], Convert.FromHexString("3cb20f5e91aa0417c83d22e67b109f45d1086abf33c27e940518eea1426db9f027815cc60bd473e9")));
        try
        {
            var fromFile = AnalyzeRss.Build(new AnalyzeOptions { EthtoolX = ethtool }, out _)!;
            Assert.Equal(2, fromFile.Queues);
            Assert.Equal(0x3c, fromFile.Key[0]);
            var overridden = AnalyzeRss.Build(new AnalyzeOptions { EthtoolX = ethtool, RssQueues = 16, RssKey = Convert.ToHexString(RssSettings.MicrosoftKey) }, out _)!;
            Assert.Equal(16, overridden.Queues);
            Assert.Equal(RssSettings.MicrosoftKey, overridden.Key);
            Assert.Equal("--rss-key", overridden.KeySource);
            var table = AnalyzeRss.Build(new AnalyzeOptions { RssIndirection = "3 3 1 1" }, out _)!;
            Assert.Equal([3, 3, 1, 1], table.Indirection);
            Assert.StartsWith("default", AnalyzeRss.Build(new AnalyzeOptions(), out _)!.KeySource);
        }
        finally
        {
            File.Delete(ethtool);
        }
    }
}

using System.Text.Json;
using NetTrace.Cli.Commands;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Analyzer.Tests;

/// <summary>`nettrace analyze` through its handler: exit codes, terminal summary, JSON schema names, progress.</summary>
public class AnalyzeCommandTests
{
    private static (int Code, string Out, string Err) Run(AnalyzeOptions o)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = AnalyzeHandler.Run(o, stdout, stderr, TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Summary_names_the_retransmitted_connects_and_the_finding()
    {
        var (code, output, _) = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("chrissanders-http_espn_fail.pcapng")], Quiet = true });
        Assert.Equal(0, code);
        Assert.Contains("SYN retransmits 84", output);
        Assert.Contains("SYN-retransmitted connects (9)", output);
        Assert.Contains("gaps 1.03 s / 1.00 s", output);
        Assert.Contains("initial RTO", output);
        Assert.Contains("Worst handshakes", output);
    }

    [Fact]
    public void Summary_shows_icmp_rtt_percentiles()
    {
        var (_, output, _) = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("zeek-icmp6-ping.pcap")], Quiet = true });
        Assert.Matches(@"RTT  P50 [\d.]+ ms   P90 [\d.]+ ms   P99 [\d.]+ ms   P99\.9 [\d.]+ ms   max [\d.]+ ms", output);
    }

    [Fact]
    public void Json_has_the_documented_members_and_microsecond_times()
    {
        var (code, output, _) = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("zeek-gre-sample.pcap")], Json = true, Quiet = true });
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        foreach (var name in new[] { "sources", "summary", "handshakes", "icmpEchoes", "flows", "findings", "problems" })
            Assert.True(root.TryGetProperty(name, out _), name);
        var src = Assert.Single(root.GetProperty("sources").EnumerateArray());
        Assert.Equal("pcap-usec-le", src.GetProperty("format").GetString());
        Assert.Matches(@"^\d{10}\.\d{6}$", src.GetProperty("firstTime").GetRawText());
        Assert.True(src.GetProperty("lastTime").GetDouble() >= src.GetProperty("firstTime").GetDouble());
        Assert.True(src.GetProperty("complete").GetBoolean());
        var summary = root.GetProperty("summary");
        foreach (var name in new[] { "frames", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "tcpStreams", "syn", "synAck", "rst", "synRetransmits", "malformed" })
            Assert.Equal(JsonValueKind.Number, summary.GetProperty(name).ValueKind);
        Assert.Equal(40, summary.GetProperty("frames").GetInt64());
        var h = Assert.Single(root.GetProperty("handshakes").EnumerateArray());
        foreach (var name in new[] { "client", "server", "synTime", "synAckRttMicros", "ackRttMicros", "synRetransmits", "outcome" })
            Assert.True(h.TryGetProperty(name, out _), name);
        Assert.Equal("established", h.GetProperty("outcome").GetString());
        Assert.Matches(@"^\d{10}\.\d{6}$", h.GetProperty("synTime").GetRawText());
        Assert.StartsWith("gre ", h.GetProperty("outer").GetString());
        var echoes = root.GetProperty("icmpEchoes").EnumerateArray().ToList();
        Assert.Equal(4, echoes.Count);
        foreach (var name in new[] { "src", "dst", "id", "seq", "requestTime", "rttMicros" })
            Assert.True(echoes[0].TryGetProperty(name, out _), name);
    }

    [Fact]
    public void Unanswered_echo_has_null_rtt_in_json()
    {
        var (_, output, _) = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("zeek-communityid-icmp.pcap")], Json = true, Quiet = true });
        using var doc = JsonDocument.Parse(output);
        var echoes = doc.RootElement.GetProperty("icmpEchoes").EnumerateArray().ToList();
        Assert.Equal(4, echoes.Count(e => e.GetProperty("rttMicros").ValueKind == JsonValueKind.Null));
    }

    [Fact]
    public void Exit_codes_tell_clean_from_damaged_from_unreadable()
    {
        Assert.Equal(0, Run(new AnalyzeOptions { Paths = [SharedPcaps.File("chrissanders-latency1.pcapng")], Quiet = true }).Code);
        Assert.Equal(1, Run(new AnalyzeOptions { Paths = [SharedPcaps.File("scapy-bad_rsn_parsing_overrides_ssid.pcap")], Quiet = true }).Code);
        var missing = Run(new AnalyzeOptions { Paths = ["/nonexistent.pcap"], Quiet = true });
        Assert.Equal(2, missing.Code);
        Assert.Contains("file not found", missing.Err);
        Assert.Equal(64, Run(new AnalyzeOptions()).Code);
    }

    [Fact]
    public void Progress_goes_to_stderr_and_quiet_silences_it()
    {
        var file = SharedPcaps.File("pcapplusplus-example.pcap");
        var loud = Run(new AnalyzeOptions { Paths = [file], ProgressAfter = TimeSpan.Zero });
        Assert.Matches(@"analyze \[1/1\] pcapplusplus-example\.pcap: 3\.8 / 3\.8 MB \(100%\), 4,631 packets, [\d.]+ M packets/s", loud.Err);
        Assert.DoesNotContain("packets/s", loud.Out);
        var quiet = Run(new AnalyzeOptions { Paths = [file], ProgressAfter = TimeSpan.Zero, Quiet = true });
        Assert.Equal("", quiet.Err);
    }

    [Fact]
    public void Libpcap_reader_is_selectable_and_unknown_readers_are_refused()
    {
        var (code, output, _) = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("zeek-ssh.pcap")], Reader = "libpcap", Quiet = true });
        Assert.Equal(0, code);
        Assert.Contains("libpcap", output);
        var bad = Run(new AnalyzeOptions { Paths = [SharedPcaps.File("zeek-ssh.pcap")], Reader = "nope", Quiet = true });
        Assert.Equal(2, bad.Code);
        Assert.Contains("unknown reader", bad.Err);
    }

    [Fact]
    public async Task Command_line_parses_files_and_options()
    {
        var output = new StringWriter();
        var config = new System.CommandLine.InvocationConfiguration { Output = output };
        int code = await NetTrace.Cli.Program.BuildRoot().Parse(["analyze", "--help"]).InvokeAsync(config, TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        foreach (var s in new[] { "--json", "--html", "--quiet", "--reader", "Examples:" }) Assert.Contains(s, output.ToString());
    }
}

public class AnalyzeHtmlTests
{
    [Fact]
    public void Html_option_writes_the_report_next_to_the_summary()
    {
        var html = Path.Combine(Path.GetTempPath(), $"nt-report-{Guid.NewGuid():N}.html");
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = AnalyzeHandler.Run(new AnalyzeOptions { Paths = [SharedPcaps.File("chrissanders-nowebaccess2.pcapng")], Html = html },
                stdout, stderr, TestContext.Current.CancellationToken);
            Assert.Equal(0, code);
            Assert.Contains("HTML report written to " + html, stderr.ToString());
            var text = File.ReadAllText(html);
            Assert.Contains("<html", text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("172.16.0.102", text); // the refused server appears in the report
        }
        finally
        {
            File.Delete(html);
        }
    }
}

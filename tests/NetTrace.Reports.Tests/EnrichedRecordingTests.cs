using System.Net;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Events;
using NetTrace.Events.Recording;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>
/// Pod and remote-peer metadata written into a .ntrace recording by the tracer's enrichment reaches the analysis
/// (handshake names, findings' Affects) and the HTML report (escaped).
/// </summary>
public class EnrichedRecordingTests
{
    private const ulong T0 = 1_790_000_000_000_000_000UL;
    private const string HostilePod = "<b>bold</b>-1";
    private static readonly HtmlReportOptions Fixed = new() { GeneratedAt = DateTimeOffset.UnixEpoch };

    private static TraceEvent Connect(ulong dt, string clientIp, int port, PodRef? pod, string serverIp, PeerRef? remote, uint retransmits) =>
        new()
        {
            Connect = new ConnectEvent
            {
                Origin = new Origin { TimeUnixNs = T0 + dt, KtimeNs = dt, NetnsIno = 4026533001, Pid = 7, Comm = "app", Pod = pod },
                Tuple = EventAddresses.MakeTuple(IPAddress.Parse(clientIp), port, IPAddress.Parse(serverIp), 8080, IpProtocol.Tcp),
                Outcome = ConnectOutcome.Established, SynTimeUnixNs = T0 + dt,
                LatencyNs = retransmits > 0 ? 1_010_300_000UL : 300_000UL, SynRetransmits = retransmits,
                SynRetransmitOffsetsNs = { retransmits > 0 ? [1_010_000_000UL] : Array.Empty<ulong>() },
                Remote = remote,
            },
        };

    internal static string WriteRecording(string dir)
    {
        var checkout = new PodRef { Name = "checkout-7f9c", Namespace = "shop", Uid = "u-1", Container = "checkout" };
        var hostile = new PodRef { Name = HostilePod, Namespace = "shop", Uid = "u-2" };
        var payments = new PeerRef { Kind = PeerKind.Service, Name = "payments", Namespace = "shop", Detail = "ClusterIP" };
        var path = Path.Combine(dir, "enriched.ntrace");
        using (var w = RecordingWriter.Create(path))
        {
            w.Write(new TraceEvent { Header = new SessionHeader { Host = "node-a", Kernel = "6.18.0", ToolVersion = "test", StartTimeUnixNs = T0 } });
            w.Write(Connect(1_000, "10.244.1.5", 40000, checkout, "10.96.0.10", payments, 1));
            w.Write(Connect(2_000, "10.244.1.6", 40001, hostile, "10.96.0.10", payments, 1));
            // Neither end known to enrichment: stays "ip:port".
            w.Write(Connect(3_000, "10.244.1.7", 40002, null, "10.244.9.9", null, 1));
            // A drop in the checkout pod's namespace of a packet to the payments Service.
            w.Write(new TraceEvent { Drop = new DropEvent
            {
                Origin = new Origin { TimeUnixNs = T0 + 4_000, NetnsIno = 4026533001, Pod = checkout },
                Tuple = EventAddresses.MakeTuple(IPAddress.Parse("10.244.1.5"), 40003, IPAddress.Parse("10.96.0.10"), 8080, IpProtocol.Tcp),
                Reason = "NETFILTER_DROP", ReasonCode = 6, LocationSymbol = "nf_hook_slow+0x9c", DstPeer = payments,
            } });
            w.Write(new TraceEvent { End = new SessionEnd { EndTimeUnixNs = T0 + 2_000_000_000, EventsWritten = 3, Reason = "duration" } });
        }
        return path;
    }

    [Fact]
    public void Handshakes_and_the_syn_retransmit_finding_name_pods_and_services_from_the_recording()
    {
        var dir = Directory.CreateTempSubdirectory("ntenrich");
        try
        {
            var result = CaptureAnalyzer.Analyze([WriteRecording(dir.FullName)], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            Assert.Equal(3, result.Handshakes.Count);
            var first = result.Handshakes.Single(h => h.Client == "10.244.1.5:40000");
            Assert.Equal("shop/checkout-7f9c (checkout)", first.ClientName);
            Assert.Equal("shop/payments (ClusterIP)", first.ServerName);
            var anonymous = result.Handshakes.Single(h => h.Client == "10.244.1.7:40002");
            Assert.Null(anonymous.ClientName);
            Assert.Null(anonymous.ServerName);

            var f = Assert.Single(result.Findings, f => f.Kind == "syn-retransmit-initial-rto");
            Assert.Contains("shop/checkout-7f9c (checkout)", f.Affects);
            Assert.Contains("shop/" + HostilePod, f.Affects);
            Assert.Contains("shop/payments (ClusterIP)", f.Affects);
            Assert.Contains("10.244.9.9:8080", f.Affects);             // the unnamed server keeps its address
            Assert.DoesNotContain("10.96.0.10:8080", f.Affects);        // the named one is not listed by IP
            Assert.Contains(f.Evidence, e => e.Label.Contains("shop/checkout-7f9c (checkout) (10.244.1.5:40000) → shop/payments (ClusterIP) (10.96.0.10:8080)")
                                          || e.Label.Contains($"shop/{HostilePod} (10.244.1.6:40001) → shop/payments (ClusterIP) (10.96.0.10:8080)"));

            var drops = Assert.Single(result.Findings, f => f.Kind == "kernel-drops");
            Assert.Equal(["shop/checkout-7f9c (checkout)", "shop/payments (ClusterIP)"], drops.Affects);
            Assert.Contains(drops.Evidence, e => e.Value.StartsWith("10.244.1.5:40003 → shop/payments (ClusterIP) (10.96.0.10:8080) (tcp) in pod shop/checkout-7f9c (checkout)"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void The_report_shows_pod_and_service_names_escaped()
    {
        var dir = Directory.CreateTempSubdirectory("ntenrich");
        try
        {
            var result = CaptureAnalyzer.Analyze([WriteRecording(dir.FullName)], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            var html = HtmlReport.Render(result, Fixed);
            Assert.DoesNotContain("<b>bold</b>", html);
            Assert.Contains("shop/&lt;b&gt;bold&lt;/b&gt;-1", html);
            // Findings' Affects list and the connection tables (client and server columns).
            Assert.Contains("<li>shop/checkout-7f9c (checkout)</li>", html);
            Assert.Contains("<li>shop/payments (ClusterIP)</li>", html);
            Assert.Contains("shop/checkout-7f9c (checkout) (10.244.1.5:40000)</td>", html);
            Assert.Contains("shop/payments (ClusterIP) (10.96.0.10:8080)</td>", html);
        }
        finally { dir.Delete(true); }
    }
}

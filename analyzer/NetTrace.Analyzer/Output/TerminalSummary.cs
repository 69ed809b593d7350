using System.Globalization;
using System.Text;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Output;

/// <summary>
/// The summary a person reads in ten seconds: what was read, the counts, the worst handshakes, connects that
/// retransmitted their SYN, ICMP RTT percentiles, findings and problems. Untrusted text (comments, problem
/// messages quoting file content) is stripped of control characters so it cannot drive the terminal.
/// </summary>
public static class TerminalSummary
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int TopN = 5;

    public static void Write(AnalysisResult r, TextWriter o, TimeSpan? elapsed = null)
    {
        var s = r.Summary;
        o.WriteLine($"nettrace analyze: {r.Sources.Count} input(s), {N(s.Frames)} frames" + (elapsed is { } e ? $" in {e.TotalSeconds:0.00} s" : ""));
        o.WriteLine();
        o.WriteLine("Sources");
        foreach (var src in r.Sources)
        {
            string span = src.FirstTime is { } f && src.LastTime is { } l
                ? $"{f.UtcDateTime:yyyy-MM-dd HH:mm:ss} → {l.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({(l - f).TotalSeconds:0.###} s)"
                : "no timestamps";
            o.WriteLine($"  {Clean(Path.GetFileName(src.Path))}  {src.Format}  {string.Join(",", src.LinkTypes.Distinct())}  {N(src.Frames)} frames  {span}{(src.Complete ? "" : "  [INCOMPLETE]")}");
        }
        o.WriteLine();
        o.WriteLine("Counts");
        o.WriteLine($"  frames {N(s.Frames)}   ipv4 {N(s.Ipv4)}   ipv6 {N(s.Ipv6)}   tcp {N(s.Tcp)}   udp {N(s.Udp)}   icmp {N(s.Icmp)}   icmpv6 {N(s.Icmpv6)}");
        o.WriteLine($"  tcp streams {N(s.TcpStreams)}   SYN {N(s.Syn)}   SYN-ACK {N(s.SynAck)}   RST {N(s.Rst)}   SYN retransmits {N(s.SynRetransmits)}   malformed {N(s.Malformed)}" +
                    (s.Vlan + s.Vxlan + s.Gre + s.IpInIp > 0 ? $"   vlan {N(s.Vlan)} vxlan {N(s.Vxlan)} gre {N(s.Gre)} ip-in-ip {N(s.IpInIp)}" : ""));
        Handshakes(r, o);
        Echoes(r, o);
        StallsSection(r, o);
        FindingsSection(r, o);
        ProblemsSection(r, o);
    }

    private static void Handshakes(AnalysisResult r, TextWriter o)
    {
        // One pass: results may be built on access, and a capture can hold millions of connects.
        int total = 0;
        var outcomes = new int[Enum.GetValues<HandshakeOutcome>().Length];
        var synAck = new List<double>();
        var worst = new List<Handshake>(TopN + 1);
        var retried = new List<Handshake>();
        foreach (var h in r.Handshakes)
        {
            total++;
            outcomes[(int)h.Outcome]++;
            if (h.SynAckRttMicros is double sa) synAck.Add(sa);
            if (h.SynRetransmits > 0) retried.Add(h);
            if (h.AckRttMicros is double ack && (worst.Count < TopN || ack > worst[^1].AckRttMicros))
            {
                int at = worst.FindIndex(w => w.AckRttMicros < ack);
                worst.Insert(at < 0 ? worst.Count : at, h);
                if (worst.Count > TopN) worst.RemoveAt(TopN);
            }
        }
        if (total == 0) return;
        o.WriteLine();
        o.WriteLine($"Handshakes  {N(total)} connects: {N(outcomes[(int)HandshakeOutcome.Established])} established, {N(outcomes[(int)HandshakeOutcome.Refused])} refused, " +
                    $"{N(outcomes[(int)HandshakeOutcome.Unanswered])} unanswered, {N(outcomes[(int)HandshakeOutcome.Reset])} reset, " +
                    $"{N(outcomes[(int)HandshakeOutcome.Unknown])} incomplete");
        synAck.Sort();
        if (synAck.Count > 0) o.WriteLine("  SYN→SYN-ACK  " + PercentileLine(synAck));
        if (worst.Count > 0)
        {
            o.WriteLine("  Worst handshakes (first SYN → client ACK):");
            foreach (var h in worst)
                o.WriteLine($"    {Ms(h.AckRttMicros!.Value),10}  {h.Client} → {h.Server}{Where(h)}" + (h.SynRetransmits > 0 ? $"  ({h.SynRetransmits} SYN retransmit(s))" : ""));
        }
        if (retried.Count > 0)
        {
            retried.Sort((a, b) => a.SynRetransmits != b.SynRetransmits ? b.SynRetransmits.CompareTo(a.SynRetransmits) : a.SynTime.CompareTo(b.SynTime));
            o.WriteLine($"  SYN-retransmitted connects ({N(retried.Count)}):");
            foreach (var h in retried.Take(TopN))
                o.WriteLine($"    {h.Client} → {h.Server}{Where(h)}  gaps {string.Join(" / ", h.SynRetransmitGapsMicros.Select(g => (g / 1e6).ToString("0.00", Inv) + " s"))}  {JsonResultWriter.Outcome(h.Outcome)}");
            if (retried.Count > TopN) o.WriteLine($"    … and {N(retried.Count - TopN)} more (--json lists all)");
        }
    }

    private static string Where(Handshake h) =>
        (h.Vlan is null ? "" : $" [{h.Vlan}]") + (h.Outer is null ? "" : $" [{h.Outer}]");

    private static void Echoes(AnalysisResult r, TextWriter o)
    {
        var echoes = r.IcmpEchoes;
        if (echoes.Count == 0) return;
        o.WriteLine();
        var rtts = Percentiles.Sorted(echoes.Where(e => e.RttMicros is not null).Select(e => e.RttMicros!.Value));
        o.WriteLine($"ICMP echo  {N(echoes.Count)} requests: {N(rtts.Count)} answered, {N(echoes.Count - rtts.Count)} unanswered");
        if (rtts.Count > 0) o.WriteLine("  RTT  " + PercentileLine(rtts));
    }

    /// <summary>RX-queue stalls: the worst windows and the queues they hit (the finding carries the evidence).</summary>
    private static void StallsSection(AnalysisResult r, TextWriter o)
    {
        var stalls = r.Stalls?.Stalls;
        if (stalls is null || stalls.Count == 0) return;
        o.WriteLine();
        int one = stalls.Count(w => w.Scope == StallScope.OneCpu), all = stalls.Count(w => w.Scope == StallScope.AllCpus);
        o.WriteLine($"RX stalls  {N(stalls.Count)}: {N(one)} on one queue/CPU, {N(all)} whole-host pause(s), {N(stalls.Count - one - all)} unclear" +
                    (r.Stalls!.Rss is { } rss ? $"   (RSS: {rss.Queues} queue(s), key {Clean(rss.KeySource)})" : ""));
        foreach (var w in stalls.OrderByDescending(w => w.MaxDelayMs).Take(TopN))
        {
            string where = w.Scope switch
            {
                StallScope.OneCpu => $"queue {w.RxQueue}" + (w.Cpu is int c ? $" cpu {c}" : ""),
                StallScope.AllCpus => "all queues",
                _ => w.RxQueue is int q ? $"queue {q}?" : "unclear",
            };
            o.WriteLine($"    {DateTimeOffset.FromUnixTimeMilliseconds((long)(w.Start * 1000)):HH:mm:ss.fff}  {Ms(w.MaxDelayMs * 1000),10}  {where,-12}  " +
                        $"{N(w.PacketsDelayed)} held (ICMP {N(w.IcmpDelayed)}, TCP {N(w.TcpDelayed)})  [{w.Source}]");
        }
        if (stalls.Count > TopN) o.WriteLine($"    … and {N(stalls.Count - TopN)} more (--json lists all)");
        var hit = r.Stalls!.Queues.Where(q => q.DelayedPackets > 0).ToList();
        if (hit.Count > 0)
            o.WriteLine("  Held / judged per queue: " + string.Join("   ", hit.Select(q => $"q{q.Queue} {N(q.DelayedPackets)}/{N(q.Packets)}")));
    }

    private static string PercentileLine(List<double> sorted) =>
        $"P50 {Ms(Percentiles.Of(sorted, 0.5))}   P90 {Ms(Percentiles.Of(sorted, 0.9))}   P99 {Ms(Percentiles.Of(sorted, 0.99))}   " +
        $"P99.9 {Ms(Percentiles.Of(sorted, 0.999))}   max {Ms(sorted[^1])}   (n={N(sorted.Count)})";

    private static void FindingsSection(AnalysisResult r, TextWriter o)
    {
        o.WriteLine();
        if (r.Findings.Count == 0)
        {
            o.WriteLine("Findings  none");
            return;
        }
        o.WriteLine("Findings");
        foreach (var f in r.Findings.OrderByDescending(f => f.Severity).ThenByDescending(f => f.Confidence))
        {
            o.WriteLine($"  [{f.Severity.ToString().ToUpperInvariant()}, confidence {f.Confidence:0.00}] {Clean(f.Title)}");
            foreach (var e in f.Evidence.Take(4)) o.WriteLine($"      {Clean(e.Label)}: {Clean(e.Value)}");
            o.WriteLine($"      → {Clean(FirstSentence(f.Remediation))}");
        }
    }

    private static void ProblemsSection(AnalysisResult r, TextWriter o)
    {
        if (r.Problems.Count == 0) return;
        o.WriteLine();
        o.WriteLine("Problems");
        foreach (var p in r.Problems.OrderByDescending(p => p.Severity).Take(10))
        {
            var where = p.PacketNumber is long n ? $" (frame {n}{(p.FileOffset is long off ? $", offset {off}" : "")})" : "";
            o.WriteLine($"  {p.Severity.ToString().ToLowerInvariant(),-7} {Clean(Path.GetFileName(p.Source))}: {Clean(p.Message)}{where}");
        }
        if (r.Problems.Count > 10) o.WriteLine($"  … and {r.Problems.Count - 10} more (--json lists all)");
    }

    private static string FirstSentence(string s)
    {
        int i = s.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? s[..(i + 1)] : s;
    }

    private static string N(long v) => v.ToString("N0", Inv);

    internal static string Ms(double micros) => micros >= 1_000_000
        ? (micros / 1e6).ToString("0.000", Inv) + " s"
        : (micros / 1000).ToString("0.000", Inv) + " ms";

    /// <summary>Drops control characters (escape sequences) from text that may come from the input file.</summary>
    public static string Clean(string s)
    {
        bool clean = true;
        foreach (var c in s) if (char.IsControl(c)) { clean = false; break; }
        if (clean) return s;
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsControl(c) ? '?' : c);
        return sb.ToString();
    }
}

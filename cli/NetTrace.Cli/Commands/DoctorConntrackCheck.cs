using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

/// <summary>Conntrack health: failed inserts and drops (the SNAT race's fingerprint) and how full the table is.</summary>
public static class DoctorConntrackCheck
{
    public const string CountersId = "conntrack-insert-failed";
    public const string FillId = "conntrack-table-fill";
    public const string RateId = "conntrack-insert-failed-now";

    /// <summary>Samples the counters twice, <paramref name="window"/> apart: are inserts failing right now?</summary>
    public static DoctorCheck? Sample(string? netnsPath, TimeSpan window, CancellationToken ct)
    {
        try
        {
            var before = ConntrackStats.Read(netnsPath);
            Task.Delay(window, ct).Wait(ct);
            return EvaluateRate(ConntrackStats.Read(netnsPath).Since(before));
        }
        catch (Exception e) when (e is ConntrackUnavailableException or NetnsException or FormatException or IOException) { return null; }
    }

    public static DoctorCheck EvaluateRate(ConntrackDelta d)
    {
        double secs = Math.Max(d.Window.TotalSeconds, 0.001);
        var details = new List<string>
        {
            $"insert_failed +{d.InsertFailed}", $"drop +{d.Drop}", $"clash_resolve +{d.ClashResolve}", $"early_drop +{d.EarlyDrop}",
            $"over {secs:F1} s",
        };
        if (d.InsertFailed > 0 || d.Drop > 0)
            return new DoctorCheck(RateId, DoctorStatus.Warn, "Conntrack insert failures right now",
                $"{d.InsertFailed} failed inserts ({d.InsertFailed / secs:F1}/s) and {d.Drop} drops while sampling",
                "Connections are losing the conntrack insert race at this moment: each is a dropped packet and, for a " +
                "TCP connect, a 1 s (then 3 s) wait. With source NAT this is the SNAT port race.",
                "Add --random-fully to the MASQUERADE/SNAT rules (nat-random-fully lists them); `nettrace trace` names " +
                "the connections that lose.", details);
        return new DoctorCheck(RateId, DoctorStatus.Ok, "Conntrack insert failures right now",
            $"none while sampling {secs:F1} s", "No insert race lost during the sample.", "nothing to do", details);
    }

    public static IReadOnlyList<DoctorCheck> Run(string? netnsPath)
    {
        ConntrackSnapshot s;
        try { s = ConntrackStats.Read(netnsPath); }
        catch (Exception e) when (e is ConntrackUnavailableException or NetnsException or FormatException or IOException)
        {
            return
            [
                new DoctorCheck(CountersId, DoctorStatus.Skipped, "Conntrack insert failures", e.Message,
                    "Without conntrack statistics the SNAT race cannot be confirmed from counters.", "run as root; check that nf_conntrack is in use", []),
            ];
        }
        return Evaluate(s);
    }

    public static IReadOnlyList<DoctorCheck> Evaluate(ConntrackSnapshot s)
    {
        var counters = new List<string>
        {
            $"insert_failed {s.InsertFailed}", $"drop {s.Drop}", $"early_drop {s.EarlyDrop}",
            s.Has("clashres") ? $"clash_resolve {s.ClashResolve}" : "clash_resolve (not counted by this kernel)",
            $"invalid {s.Invalid}", $"summed over {s.Cpus} CPUs",
        };
        var counterCheck = s.InsertFailed > 0 || s.Drop > 0
            ? new DoctorCheck(CountersId, DoctorStatus.Warn, "Conntrack insert failures",
                $"{s.InsertFailed} failed inserts, {s.Drop} drops since the namespace's conntrack started",
                "A failed insert is a new connection whose conntrack entry clashed with one confirmed an instant earlier — " +
                "with source NAT, the SNAT port race — and its packet was dropped (the sender retransmits after 1 s). " +
                "clash_resolve counts clashes the kernel resolved instead (UDP).",
                "Watch whether insert_failed rises while clients see 1 s connects (`nettrace trace` joins both); if so, " +
                "add --random-fully to the MASQUERADE/SNAT rules (see nat-random-fully).", counters)
            : new DoctorCheck(CountersId, DoctorStatus.Ok, "Conntrack insert failures", "no failed inserts, no drops",
                "No connection lost a conntrack insert race in this namespace.", "nothing to do", counters);

        DoctorCheck fill;
        if (s.Count is long c && s.Max is long m && m > 0)
        {
            double ratio = (double)c / m;
            var status = ratio >= 0.9 ? DoctorStatus.Fail : ratio >= 0.75 || s.EarlyDrop > 0 ? DoctorStatus.Warn : DoctorStatus.Ok;
            fill = new DoctorCheck(FillId, status, "Conntrack table fill",
                $"{c} of {m} entries ({ratio:P1}){(s.EarlyDrop > 0 ? $", {s.EarlyDrop} early drops" : "")}",
                "When the table is full, new connections evict unreplied entries (early_drop) or are dropped " +
                "(\"nf_conntrack: table full, dropping packet\" in dmesg).",
                status == DoctorStatus.Ok ? "nothing to do"
                    : "Raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets), or shorten timeouts of idle states " +
                      "(nf_conntrack_tcp_timeout_time_wait, _close_wait); find who opens so many connections.",
                [$"count {c}", $"max {m}", $"early_drop {s.EarlyDrop}"]);
        }
        else
            fill = new DoctorCheck(FillId, DoctorStatus.Skipped, "Conntrack table fill", "nf_conntrack_count / nf_conntrack_max unreadable",
                "Table fill cannot be judged.", "run as root", []);
        return [counterCheck, fill];
    }
}

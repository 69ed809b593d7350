using System.Text;
using NetTrace.Analyzer.Model;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;
using NetTrace.Reports.Sections;

namespace NetTrace.Reports;

/// <summary>
/// The self-contained HTML report: one file, no scripts, nothing loaded from the network (a Content Security
/// Policy says so to the browser too), charts inlined as SVG or PNG data URIs. Sections in the order a reader
/// needs them: what was analysed, findings, receive-path stalls (when there is stall data), latency over time, percentiles, SYN retransmissions, worst flows.
/// </summary>
public static class HtmlReport
{
    /// <summary>
    /// Content-Security-Policy of the report: no script at all, images only from data: URIs, inline styles only.
    /// Even if something hostile got past escaping it could not run or phone home.
    /// </summary>
    public const string ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    public static void Write(AnalysisResult result, string path) => Write(result, path, HtmlReportOptions.Default);

    /// <summary>Writes to a temporary file beside the target and renames it, so a failed run leaves no half report.</summary>
    public static void Write(AnalysisResult result, string path, HtmlReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var w = new StreamWriter(fs, new UTF8Encoding(false)))
                Render(result, w, options);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static string Render(AnalysisResult result, HtmlReportOptions? options = null)
    {
        var sw = new StringWriter();
        Render(result, sw, options ?? HtmlReportOptions.Default);
        return sw.ToString();
    }

    public static void Render(AnalysisResult result, TextWriter w, HtmlReportOptions options)
    {
        var h = new HtmlWriter(w);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Timed(string part, Action render)
        {
            clock.Restart();
            render();
            options.OnTiming?.Invoke(part, clock.Elapsed);
        }
        ReportData d = null!;
        Timed("series and percentiles", () => d = new ReportData(result));
        var generated = options.GeneratedAt ?? DateTimeOffset.UtcNow;

        h.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Raw($"<meta http-equiv=\"Content-Security-Policy\" content=\"{ContentSecurityPolicy}\">\n");
        h.Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"nettrace ");
        h.Text(result.ToolVersion);
        h.Raw("\">\n<title>");
        h.Text(options.Title);
        h.Raw("</title>\n<style>");
        h.Raw(ReportStyle.Css);
        h.Raw("</style>\n</head>\n<body>\n<header>\n");
        h.Heading(1, options.Title);
        h.Paragraph($"Generated {HtmlWriter.Utc(generated)} by nettrace {result.ToolVersion} from " +
                    $"{string.Join(", ", result.Sources.Select(s => Path.GetFileName(s.Path)).Take(5))}" +
                    (result.Sources.Count > 5 ? $" and {result.Sources.Count - 5} more" : ""), "sub");
        h.Raw("</header>\n<main>\n");

        Timed("sources", () => SourcesSection.Write(h, d));
        Timed("findings", () => FindingsSection.Write(h, d));
        Timed("receive-path stalls", () => StallSection.Write(h, d, options));
        Timed("SNAT port race", () => SnatRaceSection.Write(h, d, options));
        Timed("latency over time", () => LatencySection.WriteOverTime(h, d, options));
        Timed("percentiles and histograms", () => LatencySection.WritePercentiles(h, d, options));
        Timed("SYN retransmissions", () => RetransmitSection.Write(h, d, options));
        Timed("worst flows and connections", () => WorstSection.Write(h, d, options));

        h.Raw("</main>\n</body>\n</html>\n");
        w.Flush();
    }
}

namespace NetTrace.Reports.Html;

/// <summary>The report's only stylesheet, inlined so the file needs nothing from the network.</summary>
internal static class ReportStyle
{
    public const string Css = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5rem 3rem; color: #1d232a; background: #fff; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.2rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 2px solid #d8dee4; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.sub { color: #57606a; margin: 0 0 1rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.88rem; }
th, td { border: 1px solid #d8dee4; padding: 0.25rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em; word-break: break-all; }
.finding { border: 1px solid #d8dee4; border-left-width: 6px; border-radius: 4px; padding: 0.6rem 1rem; margin: 0.8rem 0; }
.finding h3 { margin-top: 0.2rem; }
.sev { display: inline-block; font-size: 0.75rem; font-weight: bold; padding: 0.1rem 0.45rem; border-radius: 3px;
       color: #fff; margin-right: 0.5rem; text-transform: uppercase; vertical-align: middle; }
.sev-critical { background: #8b0000; } .finding.sev-critical-b { border-left-color: #8b0000; }
.sev-high { background: #cf222e; }     .finding.sev-high-b { border-left-color: #cf222e; }
.sev-medium { background: #bc4c00; }   .finding.sev-medium-b { border-left-color: #bc4c00; }
.sev-low { background: #9a6700; }      .finding.sev-low-b { border-left-color: #9a6700; }
.sev-info { background: #57606a; }     .finding.sev-info-b { border-left-color: #57606a; }
.prob-error { color: #cf222e; font-weight: bold; } .prob-warning { color: #bc4c00; font-weight: bold; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; padding: 0.5rem 0.8rem; }
.ok { background: #dafbe1; border: 1px solid #4ac26b; border-radius: 4px; padding: 0.5rem 0.8rem; }
.chart { margin: 0.5rem 0 1rem; }
.chart svg, .chart img { display: block; max-width: 100%; height: auto; border: 1px solid #eaeef2; }
.caption { color: #57606a; font-size: 0.85rem; margin: 0.2rem 0 0; }
ul.comments { margin: 0.2rem 0; padding-left: 1.2rem; }
ul.comments li { white-space: pre-wrap; }
tr.hot td { background: #ffebe9; font-weight: bold; }
tr.vm-pause td { background: #f3f5f7; }
table.stall-list { width: 100%; }
table.stall-list th { white-space: normal; }
table.stall-list td.mono { word-break: normal; overflow-wrap: anywhere; }
table.stall-list td.when { white-space: nowrap; }
""";
}

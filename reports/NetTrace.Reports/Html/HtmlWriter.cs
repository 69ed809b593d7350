using System.Globalization;

namespace NetTrace.Reports.Html;

/// <summary>
/// Writes the report's markup. Raw() is for markup the report itself builds; Text() and the table helpers
/// escape, so capture-derived strings are written through those only.
/// </summary>
internal sealed class HtmlWriter(TextWriter w)
{
    public void Raw(string markup) => w.Write(markup);
    public void Text(string? s) => w.Write(HtmlText.Escape(s));

    /// <summary>An element with escaped text content: El("td", "x", "num").</summary>
    public void El(string tag, string? text, string? cssClass = null)
    {
        w.Write('<'); w.Write(tag);
        if (cssClass != null) { w.Write(" class=\""); w.Write(cssClass); w.Write('"'); }
        w.Write('>');
        Text(text);
        w.Write("</"); w.Write(tag); w.Write('>');
    }

    public void Heading(int level, string text, string? id = null)
    {
        w.Write($"<h{level}");
        if (id != null) w.Write($" id=\"{id}\"");
        w.Write('>'); Text(text); w.Write($"</h{level}>\n");
    }

    public void Paragraph(string? text, string? cssClass = null) { El("p", text, cssClass); w.Write('\n'); }

    public void TableStart(params string[] headers) => TableStart(headers, null);

    /// <summary>Headers whose name is in numeric are right-aligned like their cells.</summary>
    public void TableStart(string[] headers, ISet<int>? numeric)
    {
        w.Write("<table><thead><tr>");
        for (int i = 0; i < headers.Length; i++) El("th", headers[i], numeric?.Contains(i) == true ? "num" : null);
        w.Write("</tr></thead><tbody>\n");
    }

    public void TableEnd() => w.Write("</tbody></table>\n");
    public void RowStart() => w.Write("<tr>");
    public void RowEnd() => w.Write("</tr>\n");
    public void Cell(string? text) => El("td", text);
    public void NumCell(string text) => El("td", text, "num");
    public void MonoCell(string? text) => El("td", text, "mono");

    public static string Int(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Milliseconds from microseconds, with precision that suits the size.</summary>
    public static string Ms(double? micros)
    {
        if (micros is not { } us || double.IsNaN(us)) return "–";
        double ms = us / 1000.0;
        string fmt = ms >= 100 ? "N1" : ms >= 1 ? "N3" : "0.000";
        return ms.ToString(fmt, CultureInfo.InvariantCulture);
    }

    public static string Seconds(double s) => s.ToString(s >= 100 ? "#,0.#" : "0.###", CultureInfo.InvariantCulture) + " s";

    public static string Utc(double unixSeconds)
    {
        if (!double.IsFinite(unixSeconds)) return "–";
        long ticks = MicrosecondTicks(unixSeconds);
        var t = DateTime.UnixEpoch.AddTicks(ticks);
        return t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>
    /// Ticks of the instant rounded to the microsecond exactly as the JSON's six decimals ("F6") round it. Rounding to
    /// ticks and printing six digits would truncate, and multiplying by 1e6 first rounds in binary at 1e15: either way
    /// the same instant could read 1 µs apart in the report and in the JSON.
    /// </summary>
    internal static long MicrosecondTicks(double unixSeconds)
    {
        var f = Math.Abs(unixSeconds).ToString("F6", CultureInfo.InvariantCulture);
        int dot = f.IndexOf('.');
        long ticks = long.Parse(f.AsSpan(0, dot), CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond +
                     long.Parse(f.AsSpan(dot + 1), CultureInfo.InvariantCulture) * 10;
        return unixSeconds < 0 ? -ticks : ticks;
    }

    public static string Utc(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "Z" : "–";

    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}

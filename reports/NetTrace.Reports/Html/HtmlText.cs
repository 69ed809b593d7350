using System.Text;

namespace NetTrace.Reports.Html;

/// <summary>
/// Escaping for text that lands in the report. Everything that came from a capture, a recording or metadata
/// (comments, host and pod names, finding text) goes through here; only markup the report builds itself is
/// written raw.
/// </summary>
public static class HtmlText
{
    /// <summary>Escapes for element content and for double- or single-quoted attribute values.</summary>
    public static string Escape(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        int i = s.AsSpan().IndexOfAny("&<>\"'\0");
        if (i < 0) return s;
        var sb = new StringBuilder(s.Length + 16);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                // NUL is a parse error in HTML and could confuse other tools reading the file.
                case '\0': sb.Append("&#xFFFD;"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}

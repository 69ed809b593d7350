using System.Text.RegularExpressions;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Skia numbers SVG ids (clip paths) from a process-wide counter. Inline SVGs share one HTML id space, so the
/// ids are renamed per chart ("chart-x-1", "chart-x-2", ...): unique in the document whatever else the
/// process drew before, and the same on every render.
/// </summary>
public static partial class SvgIds
{
    [GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial Regex IdAttr();

    [GeneratedRegex("url\\(#([^)]+)\\)|href=\"#([^\"]+)\"")]
    private static partial Regex IdRef();

    public static string Scope(string svg, string prefix)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        svg = IdAttr().Replace(svg, m =>
        {
            var id = m.Groups[1].Value;
            if (!map.TryGetValue(id, out var renamed)) map[id] = renamed = $"{prefix}-{map.Count + 1}";
            return $"id=\"{renamed}\"";
        });
        return IdRef().Replace(svg, m =>
        {
            bool isUrl = m.Groups[1].Success;
            var id = isUrl ? m.Groups[1].Value : m.Groups[2].Value;
            // A reference to an id the SVG does not define would point into the surrounding page: drop it.
            var target = map.TryGetValue(id, out var renamed) ? renamed : prefix + "-missing";
            return isUrl ? $"url(#{target})" : $"href=\"#{target}\"";
        });
    }
}

using System.Xml;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Inline SVG is live markup inside the report, so before embedding one we check that it is well-formed XML
/// with nothing active in it: no script, no foreignObject (HTML inside SVG), no event-handler attributes,
/// no links out of the document. Chart labels are the report's own text today; this keeps it safe if a
/// capture-derived label ever reaches a chart.
/// </summary>
public static class SvgGuard
{
    private static readonly HashSet<string> ForbiddenElements = new(StringComparer.OrdinalIgnoreCase)
    { "script", "foreignObject", "iframe", "object", "embed", "a", "use", "animate", "set", "handler" };

    public static void Check(string svg)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(svg), settings);
        bool sawRoot = false;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.ProcessingInstruction)
                throw new InvalidOperationException("chart SVG contains a processing instruction");
            if (reader.NodeType != XmlNodeType.Element) continue;
            if (!sawRoot)
            {
                if (reader.LocalName != "svg") throw new InvalidOperationException($"chart SVG starts with <{reader.LocalName}>");
                sawRoot = true;
            }
            if (ForbiddenElements.Contains(reader.LocalName))
                throw new InvalidOperationException($"chart SVG contains <{reader.LocalName}>");
            if (!reader.MoveToFirstAttribute()) continue;
            do
            {
                string name = reader.LocalName;
                if (name.StartsWith("on", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"chart SVG has event attribute {name}");
                if (name.Equals("href", StringComparison.OrdinalIgnoreCase) &&
                    !(reader.Value.StartsWith('#') || reader.Value.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase)))
                    throw new InvalidOperationException("chart SVG links outside the document");
            } while (reader.MoveToNextAttribute());
            reader.MoveToElement();
        }
        if (!sawRoot) throw new InvalidOperationException("chart SVG is empty");
    }
}

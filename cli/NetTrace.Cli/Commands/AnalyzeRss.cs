using NetTrace.Analyzer.Stalls;

namespace NetTrace.Cli.Commands;

/// <summary>
/// The RSS settings `nettrace analyze` maps flows to RX queues with: a saved `ethtool -x DEV` output first, then the
/// key and table given on the command line over it, else the Microsoft verification key with a round-robin table.
/// </summary>
public static class AnalyzeRss
{
    /// <summary>The settings, or null with a message for the user when an option is wrong.</summary>
    public static RssSettings? Build(AnalyzeOptions o, out string? error)
    {
        error = null;
        try
        {
            if (o.RssIndirection is not null && o.RssQueues is not null)
            {
                error = "give --rss-indir or --rss-queues, not both (the table names the queues)";
                return null;
            }
            RssSettings? saved = null;
            if (o.EthtoolX is { } file)
            {
                string text;
                try { text = File.ReadAllText(file); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error = $"cannot read --ethtool-x {file}: {e.Message}";
                    return null;
                }
                saved = EthtoolRss.Parse(text, file);
            }
            byte[]? key = o.RssKey is { } hex ? RssSettings.ParseKey(hex) : null;
            string keySource = key is not null ? "--rss-key" : saved?.KeySource ?? "default (Microsoft RSS verification key)";
            key ??= saved?.Key ?? RssSettings.MicrosoftKey;
            if (o.RssIndirection is { } list)
                return new RssSettings(key, RssSettings.ParseIndirection(list), keySource, $"--rss-indir ({list.Split(',', ' ').Length} entries)");
            if (o.RssQueues is int queues)
            {
                var rr = RssSettings.WithQueues(queues, key, keySource);
                return new RssSettings(key, rr.Indirection, keySource, $"round-robin over {queues} queue(s) (--rss-queues)");
            }
            return saved is not null
                ? new RssSettings(key, saved.Indirection, keySource, saved.IndirectionSource)
                : RssSettings.WithQueues(RssSettings.DefaultQueues, key, keySource);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            error = e.Message;
            return null;
        }
    }
}

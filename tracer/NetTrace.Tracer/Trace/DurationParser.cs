using System.Globalization;

namespace NetTrace.Tracer.Trace;

/// <summary>Durations as users type them: "30s", "5m", "1h", "250ms", "1m30s"; a bare number means seconds.</summary>
public static class DurationParser
{
    public static TimeSpan Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s.Length == 0) throw new FormatException("empty duration");
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
            return Checked(TimeSpan.FromSeconds(bare), text);
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i) throw new FormatException($"'{text}' is not a duration (examples: 30s, 5m, 1h, 250ms)");
            var number = double.Parse(s.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            total += s[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                var u => throw new FormatException($"'{text}': unknown unit '{u}' (use ms, s, m or h)"),
            };
        }
        return Checked(total, text);
    }

    private static TimeSpan Checked(TimeSpan t, string text) =>
        t > TimeSpan.Zero ? t : throw new FormatException($"'{text}': duration must be positive");
}

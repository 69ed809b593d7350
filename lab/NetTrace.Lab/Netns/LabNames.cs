using System.Globalization;

namespace NetTrace.Lab.Netns;

/// <summary>
/// Unique names for lab objects. Namespaces are "nt&lt;tag&gt;-&lt;pid&gt;-&lt;rand&gt;" so parallel tests never clash and a
/// later run can tell a dead owner's leftovers; interface names stay within Linux's 15 characters.
/// </summary>
public static class LabNames
{
    public static string Namespace(string tag)
    {
        if (tag.Length > 12 || !tag.All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException("tag: up to 12 ASCII letters or digits", nameof(tag));
        return $"nt{tag}-{Environment.ProcessId}-{Random()}";
    }

    /// <summary>"v" + 6 random hex + suffix (at most 8 more characters).</summary>
    public static string Interface(string suffix = "")
    {
        if (suffix.Length > 8) throw new ArgumentException("suffix: at most 8 characters", nameof(suffix));
        return "v" + Random() + suffix;
    }

    internal static bool TryParseOwnerPid(string name, out int pid)
    {
        pid = 0;
        if (!name.StartsWith("nt", StringComparison.Ordinal)) return false;
        var parts = name.Split('-');
        return parts.Length == 3 && parts[2].Length == 6 && parts[2].All(char.IsAsciiHexDigitLower)
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out pid);
    }

    private static string Random() => System.Security.Cryptography.RandomNumberGenerator.GetHexString(6, lowercase: true);
}

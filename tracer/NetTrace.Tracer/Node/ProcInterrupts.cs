using System.Globalization;

namespace NetTrace.Tracer.Node;

/// <summary>One line of /proc/interrupts: the IRQ (a number, or a name such as LOC/NMI), its count per CPU in the
/// header's CPU order, and the rest of the line (chip, hwirq and trigger, the handlers' names).</summary>
public sealed record IrqLine(string Irq, IReadOnlyList<long> Counts, string Description)
{
    public bool IsNumbered => int.TryParse(Irq, NumberStyles.None, CultureInfo.InvariantCulture, out _);
    public long Total => Counts.Sum();

    /// <summary>The description's words (split on blanks and commas): the handler names are among them.</summary>
    public IEnumerable<string> Words => Description.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
}

public sealed record ProcInterruptsTable(IReadOnlyList<int> Cpus, IReadOnlyList<IrqLine> Lines);

public static class ProcInterrupts
{
    public const string Path = "/proc/interrupts";

    /// <summary>Parses the text. The header names the online CPUs ("CPU0 CPU1 CPU3" when CPU2 is offline); each line
    /// holds at most one count per header CPU (ERR/MIS hold one).</summary>
    public static ProcInterruptsTable Parse(string text)
    {
        var lines = text.Split('\n');
        int h = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (h < 0) throw new FormatException("/proc/interrupts is empty");
        var cpus = new List<int>();
        foreach (var w in lines[h].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!w.StartsWith("CPU", StringComparison.Ordinal)
                || !int.TryParse(w.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int cpu))
                throw new FormatException($"/proc/interrupts header is not a CPU list: '{lines[h].Trim()}'");
            cpus.Add(cpu);
        }
        var result = new List<IrqLine>();
        foreach (var raw in lines.Skip(h + 1))
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            var label = raw[..colon].Trim();
            if (label.Length == 0 || label.Contains(' ')) continue;
            var rest = raw.AsSpan(colon + 1);
            var counts = new List<long>();
            int pos = 0;
            while (counts.Count < cpus.Count)
            {
                while (pos < rest.Length && rest[pos] == ' ') pos++;
                int end = pos;
                while (end < rest.Length && char.IsAsciiDigit(rest[end])) end++;
                if (end == pos || (end < rest.Length && rest[end] != ' ')) break;
                counts.Add(long.Parse(rest[pos..end], NumberStyles.None, CultureInfo.InvariantCulture));
                pos = end;
            }
            result.Add(new IrqLine(label, counts, rest[pos..].ToString().Trim()));
        }
        return new ProcInterruptsTable(cpus, result);
    }
}

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// Names of one lab run's namespaces. They carry the owning process id, so a later run can tell a leftover of a
/// killed run (owner gone) from a lab another process is running right now (owner alive) and only remove the former.
/// Interface names live inside the lab's own namespaces, so they never clash with the host's or another run's.
/// </summary>
public sealed record SnatRaceNames(int OwnerPid, string RunId)
{
    public const string Prefix = "ntsr-";

    public static SnatRaceNames New() =>
        new(Environment.ProcessId, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)));

    private string Base => $"{Prefix}{OwnerPid}-{RunId}";
    public string Node => Base + "-node";
    public string Server => Base + "-srv";
    public string Pod(int i) => $"{Base}-pod{i}";

    public IEnumerable<string> All(int pods) => new[] { Node, Server }.Concat(Enumerable.Range(0, pods).Select(Pod));

    /// <summary>The owner pid encoded in a lab namespace name, or null when the name is not one of ours.</summary>
    public static int? OwnerOf(string netnsName)
    {
        if (!netnsName.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var rest = netnsName[Prefix.Length..];
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], out var pid) ? pid : null;
    }
}

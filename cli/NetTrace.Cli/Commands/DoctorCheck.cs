namespace NetTrace.Cli.Commands;

public enum DoctorStatus { Ok, Warn, Fail, Skipped }

/// <summary>One node check: what was found, what it means, and what to do about it.
/// Data, when set, carries the measured values for --json (the Details lines are their text form).</summary>
public sealed record DoctorCheck(
    string Id,
    DoctorStatus Status,
    string Title,
    string Summary,
    string Meaning,
    string Action,
    IReadOnlyList<string> Details,
    object? Data = null);

namespace NetTrace.Cli.Commands;

public enum DoctorStatus { Ok, Warn, Fail, Skipped }

/// <summary>One node check: what was found, what it means, and what to do about it.</summary>
public sealed record DoctorCheck(
    string Id,
    DoctorStatus Status,
    string Title,
    string Summary,
    string Meaning,
    string Action,
    IReadOnlyList<string> Details);

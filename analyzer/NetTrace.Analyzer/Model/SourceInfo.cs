namespace NetTrace.Analyzer.Model;

/// <summary>One input file: what it was, what of it was read.</summary>
public sealed record SourceInfo(
    string Path,
    string Format,                 // "pcap-usec-le", "pcapng", "ntrace", ...
    IReadOnlyList<string> LinkTypes,
    long Frames,
    DateTimeOffset? FirstTime,
    DateTimeOffset? LastTime,
    bool Complete,                 // false when reading stopped at damage
    IReadOnlyList<string> Comments // pcapng comments etc.; untrusted text, escape before display
);

public enum ProblemSeverity { Info, Warning, Error }

/// <summary>Something wrong with the input. Where = packet number and byte offset when known.</summary>
public sealed record InputProblem(
    string Source,
    ProblemSeverity Severity,
    string Message,
    long? PacketNumber = null,
    long? FileOffset = null);

using NetTrace.Metadata.Index;

namespace NetTrace.Metadata.Cri;

/// <summary>
/// Everything one CRI pass found: ready sandboxes and running containers with their kernel ids, plus what could not
/// be resolved (a sandbox without a readable netns, a container without a v2 cgroup) so the user can be told why.
/// </summary>
public sealed record CriSnapshot(
    DateTimeOffset TakenAt,
    string Runtime,
    IReadOnlyList<SandboxEntry> Sandboxes,
    IReadOnlyList<ContainerEntry> Containers,
    IReadOnlyList<string> Problems)
{
    public static CriSnapshot Empty { get; } = new(DateTimeOffset.MinValue, "", [], [], []);
}

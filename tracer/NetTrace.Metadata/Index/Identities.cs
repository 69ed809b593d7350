using System.Net;

namespace NetTrace.Metadata.Index;

/// <summary>A pod as Kubernetes names it.</summary>
public sealed record PodIdentity(string Name, string Namespace, string Uid)
{
    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>A container of a pod (Name is the container name from the pod spec; "" for the sandbox itself).</summary>
public sealed record ContainerIdentity(PodIdentity Pod, string Name, string Id)
{
    public override string ToString() => Name.Length == 0 ? Pod.ToString() : $"{Pod}/{Name}";
}

public enum IpOwnerKind { Pod, Service, Node }

/// <summary>
/// Who owns an IP address in the cluster. For a pod: Name/Namespace/Uid of the pod and Node where it runs;
/// for a service: its name and namespace and Detail = its type (ClusterIP, LoadBalancer...); for a node: its name.
/// </summary>
public sealed record IpOwner(IpOwnerKind Kind, string Name, string Namespace, string Uid, string Detail)
{
    public override string ToString() => Kind switch
    {
        IpOwnerKind.Pod => $"{Namespace}/{Name}",
        IpOwnerKind.Service => $"{Namespace}/{Name} ({(Detail.Length == 0 ? "Service" : Detail)})",
        _ => $"node {Name}",
    };
}

/// <summary>One ready pod sandbox as the CRI runtime reports it, with the kernel ids it maps to.</summary>
public sealed record SandboxEntry(
    string SandboxId,
    PodIdentity Pod,
    ulong NetnsInode,
    string? NetnsPath,
    int Pid,
    IReadOnlyList<IPAddress> Ips);

/// <summary>One running container with the cgroup id its tasks report.</summary>
public sealed record ContainerEntry(ContainerIdentity Container, string SandboxId, int Pid, ulong CgroupId, string? CgroupPath);

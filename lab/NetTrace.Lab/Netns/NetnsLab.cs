namespace NetTrace.Lab.Netns;

/// <summary>One end of a veth pair: the namespace it lives in, its interface name and address.</summary>
public sealed record VethEnd(NetworkNamespace Namespace, string Device, string Cidr)
{
    public System.Net.IPAddress Address => System.Net.IPAddress.Parse(Cidr.Split('/')[0]);
}

public sealed record VethPair(VethEnd A, VethEnd B);

/// <summary>
/// A set of namespaces built for one test or lab, torn down together in reverse order on dispose (also when the
/// test failed, the build threw halfway, or the process gets a signal — see <see cref="LabCleanup"/>).
/// <code>
///   await using var lab = new NetnsLab("trace");
///   var client = await lab.AddNamespaceAsync("cli");
///   var server = await lab.AddNamespaceAsync("srv");
///   var link = await lab.ConnectAsync(client, "10.231.0.2/24", server, "10.231.0.1/24");
/// </code>
/// Namespaces get no route out of the machine: only what the caller adds between its own namespaces.
/// </summary>
public sealed class NetnsLab : IAsyncDisposable
{
    private readonly List<Func<ValueTask>> _teardown = [];
    private readonly string _tag;
    private bool _disposed;

    public NetnsLab(string tag = "lab")
    {
        _tag = tag;
        // Leftovers of killed earlier runs go first, so a crash never accumulates namespaces.
        LabCleanup.DeleteStale();
    }

    public IReadOnlyList<NetworkNamespace> Namespaces => _namespaces;
    private readonly List<NetworkNamespace> _namespaces = [];

    public async Task<NetworkNamespace> AddNamespaceAsync(string role, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var ns = await NetworkNamespace.CreateAsync(_tag + role, ct);
        _namespaces.Add(ns);
        _teardown.Add(ns.DisposeAsync);
        return ns;
    }

    /// <summary>Creates a veth pair between two namespaces, assigns the addresses and brings both ends up.</summary>
    public async Task<VethPair> ConnectAsync(NetworkNamespace a, string cidrA, NetworkNamespace b, string cidrB,
        CancellationToken ct = default)
    {
        var devA = LabNames.Interface("a");
        var devB = LabNames.Interface("b");
        await a.IpAsync(["link", "add", devA, "type", "veth", "peer", "name", devB, "netns", b.Name], ct);
        await a.AddAddressAsync(devA, cidrA);
        await b.AddAddressAsync(devB, cidrB);
        await a.SetUpAsync(devA);
        await b.SetUpAsync(devB);
        return new VethPair(new VethEnd(a, devA, cidrA), new VethEnd(b, devB, cidrB));
    }

    /// <summary>Registers extra teardown (run before the namespaces are deleted, in reverse order).</summary>
    public void OnTeardown(Func<ValueTask> action) => _teardown.Add(action);

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        List<Exception>? errors = null;
        for (var i = _teardown.Count - 1; i >= 0; i--)
        {
            try { await _teardown[i](); }
            catch (Exception e) { (errors ??= []).Add(e); }
        }
        if (errors != null) throw new AggregateException("lab teardown had errors", errors);
    }
}

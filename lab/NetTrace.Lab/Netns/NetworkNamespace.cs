namespace NetTrace.Lab.Netns;

/// <summary>
/// A named network namespace this process created (ip netns add). Everything configured inside it — veth ends,
/// addresses, routes, iptables rules, sysctls — disappears with it on dispose.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private int _deleted;

    public string Name { get; }
    public string Path => System.IO.Path.Combine(NamespaceFile.NamedDir, Name);
    /// <summary>The inode BPF programs report for traffic in this namespace.</summary>
    public ulong Inode { get; }

    private NetworkNamespace(string name, ulong inode)
    {
        Name = name;
        Inode = inode;
    }

    /// <summary>Creates the namespace with loopback up. Tracked for cleanup on exit and signals from the start.</summary>
    public static async Task<NetworkNamespace> CreateAsync(string tag, CancellationToken ct = default)
    {
        var name = LabNames.Namespace(tag);
        LabCleanup.Track(name);
        try
        {
            await CommandRunner.RunAsync("ip", ["netns", "add", name], ct: ct);
            var ns = new NetworkNamespace(name, NamespaceFile.Inode(System.IO.Path.Combine(NamespaceFile.NamedDir, name)));
            await ns.IpAsync(["link", "set", "lo", "up"], ct);
            return ns;
        }
        catch
        {
            CommandRunner.Run("ip", ["netns", "delete", name]);
            LabCleanup.Untrack(name);
            throw;
        }
    }

    /// <summary>ip -n NAME ...</summary>
    public Task<CommandResult> IpAsync(IEnumerable<string> args, CancellationToken ct = default) =>
        CommandRunner.RunAsync("ip", ["-n", Name, .. args], ct: ct);

    /// <summary>Runs a program inside the namespace (ip netns exec NAME ...).</summary>
    public Task<CommandResult> ExecAsync(string program, IEnumerable<string> args, bool check = true,
        TimeSpan? timeout = null, CancellationToken ct = default) =>
        CommandRunner.RunAsync("ip", ["netns", "exec", Name, program, .. args], check, timeout, ct);

    /// <summary>iptables -w inside the namespace, e.g. IptablesAsync("-A", "INPUT", "-p", "icmp", "-j", "DROP").</summary>
    public Task<CommandResult> IptablesAsync(params string[] args) => ExecAsync("iptables", ["-w", "5", .. args]);

    public Task<CommandResult> SysctlAsync(string key, string value) => ExecAsync("sysctl", ["-q", "-w", $"{key}={value}"]);

    public Task AddAddressAsync(string device, string cidr) => IpAsync(["addr", "add", cidr, "dev", device]);

    public Task SetUpAsync(string device) => IpAsync(["link", "set", device, "up"]);

    /// <summary>ip route add ROUTE..., e.g. AddRouteAsync("blackhole", "10.1.9.0/24") or ("default", "via", "10.1.0.1").</summary>
    public Task AddRouteAsync(params string[] route) => IpAsync(["route", "add", .. route]);

    /// <summary>Runs a synchronous body on a dedicated thread inside this namespace (see NamespaceFile.RunInsideAsync).</summary>
    public Task<T> RunInsideAsync<T>(Func<T> body) => NamespaceFile.RunInsideAsync(Path, body, "netns " + Name);

    public Task RunInsideAsync(Action body) => NamespaceFile.RunInsideAsync(Path, () => { body(); return true; }, "netns " + Name);

    public bool Exists => File.Exists(Path);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _deleted, 1) == 1) return;
        try
        {
            if (Exists) await CommandRunner.RunAsync("ip", ["netns", "delete", Name], check: false);
        }
        finally
        {
            LabCleanup.Untrack(Name);
        }
    }
}

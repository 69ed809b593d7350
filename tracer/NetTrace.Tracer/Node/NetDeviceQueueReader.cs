using System.Globalization;

namespace NetTrace.Tracer.Node;

/// <summary>
/// Reads devices, queues and interrupts from a sysfs tree (normally /sys) and a procfs tree (normally /proc).
/// Both roots are parameters so tests can build the trees in a temporary directory.
/// </summary>
public sealed class NetDeviceQueueReader(string sysRoot, string procRoot)
{
    /// <summary>Reads every device under class/net. <paramref name="interrupts"/> null: IRQs are not matched.</summary>
    public IReadOnlyList<NetDeviceQueues> ReadAll(ProcInterruptsTable? interrupts)
    {
        var netDir = Path.Combine(sysRoot, "class", "net");
        return Directory.EnumerateFileSystemEntries(netDir)
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => Directory.Exists(Path.Combine(netDir, n)))   // class/net also holds bonding_masters (a file)
            .Order(StringComparer.Ordinal)
            .Select(n => Read(n, interrupts)).ToList();
    }

    public NetDeviceQueues Read(string name, ProcInterruptsTable? interrupts)
    {
        var dev = Path.Combine(sysRoot, "class", "net", name);
        var queues = Path.Combine(dev, "queues");
        var rx = new List<QueueSteering>();
        var tx = new List<QueueSteering>();
        if (Directory.Exists(queues))
            foreach (var q in Directory.EnumerateDirectories(queues).Select(Path.GetFileName).OfType<string>().Order(QueueOrder.Instance))
            {
                var qdir = Path.Combine(queues, q);
                if (q.StartsWith("rx-", StringComparison.Ordinal))
                {
                    var (cpus, err) = ReadMask(Path.Combine(qdir, "rps_cpus"));
                    var (flows, ferr) = ReadText(Path.Combine(qdir, "rps_flow_cnt"));
                    long? flowCount = flows != null && long.TryParse(flows.Trim(), CultureInfo.InvariantCulture, out var fc) ? fc : null;
                    rx.Add(new QueueSteering(q, cpus, flowCount, err ?? ferr));
                }
                else if (q.StartsWith("tx-", StringComparison.Ordinal))
                {
                    var (cpus, err) = ReadMask(Path.Combine(qdir, "xps_cpus"));
                    tx.Add(new QueueSteering(q, cpus, null, err));
                }
            }

        string? busDevice = null;
        var deviceLink = Path.Combine(dev, "device");
        if (Directory.Exists(deviceLink))
            busDevice = Path.GetFileName(new DirectoryInfo(deviceLink).ResolveLinkTarget(true)?.FullName ?? deviceLink);

        var irqs = new List<DeviceIrq>();
        if (busDevice != null && interrupts != null)
        {
            var msi = MsiIrqs(deviceLink, busDevice);
            foreach (var line in interrupts.Lines.Where(l => l.IsNumbered))
            {
                string? hit = line.Words.FirstOrDefault(w => NameMatches(w, name, busDevice));
                if (hit == null && !msi.Contains(line.Irq)) continue;
                irqs.Add(ReadIrq(line, interrupts.Cpus, hit ?? line.Words.LastOrDefault() ?? line.Irq));
            }
        }
        return new NetDeviceQueues(name, busDevice, rx, tx, irqs);
    }

    /// <summary>Does a handler name in /proc/interrupts belong to this device? Drivers name their vectors after the
    /// interface ("eth0-TxRx-3", "ens5-Tx-Rx-0", "i40e-eth0-TxRx-0"), the bus device ("virtio2-input.0") or the PCI
    /// address ("mlx5_comp3@pci:0000:03:00.0").</summary>
    public static bool NameMatches(string word, string ifName, string? busDevice) =>
        word == ifName
        || word.StartsWith(ifName + "-", StringComparison.Ordinal)
        || word.Contains("-" + ifName + "-", StringComparison.Ordinal)
        || word.EndsWith("-" + ifName, StringComparison.Ordinal)
        || (busDevice != null && (word.StartsWith(busDevice + "-", StringComparison.Ordinal)
                                  || word.EndsWith("@pci:" + busDevice, StringComparison.Ordinal)));

    /// <summary>A vector that carries packets, not configuration or link events. Heuristic on the driver's naming.</summary>
    public static bool IsQueueName(string name)
    {
        var n = name.ToLowerInvariant();
        return !(n.Contains("config") || n.Contains("async") || n.Contains("event") || n.Contains("misc")
                 || n.Contains("ctrl") || n.Contains("mgmt") || n.Contains("lsc"));
    }

    private DeviceIrq ReadIrq(IrqLine line, IReadOnlyList<int> cpus, string name)
    {
        var counts = new Dictionary<int, long>();
        for (int i = 0; i < line.Counts.Count && i < cpus.Count; i++) counts[cpus[i]] = line.Counts[i];
        var dir = Path.Combine(procRoot, "irq", line.Irq);
        var (aff, affErr) = ReadList(Path.Combine(dir, "smp_affinity_list"));
        var (eff, _) = File.Exists(Path.Combine(dir, "effective_affinity_list"))
            ? ReadList(Path.Combine(dir, "effective_affinity_list")) : (null, null);
        return new DeviceIrq(line.Irq, name, IsQueueName(name), counts, aff, eff, affErr);
    }

    /// <summary>The PCI function's MSI vectors: under the device for a PCI NIC; for virtio-net under the PCI
    /// function that carries the virtio device (its parent). A PCI NIC's parent is a bridge: never looked at.</summary>
    private static HashSet<string> MsiIrqs(string deviceLink, string busDevice)
    {
        var set = new HashSet<string>();
        var dirs = new List<string> { Path.Combine(deviceLink, "msi_irqs") };
        if (busDevice.StartsWith("virtio", StringComparison.Ordinal)
            && new DirectoryInfo(deviceLink).ResolveLinkTarget(true)?.FullName is { } target
            && Path.GetDirectoryName(target) is { } parent)
            dirs.Add(Path.Combine(parent, "msi_irqs"));   // not "device/..": .NET collapses ".." before the kernel follows the link
        foreach (var dir in dirs)
        {
            try
            {
                if (!Directory.Exists(dir)) continue;
                foreach (var e in Directory.EnumerateFileSystemEntries(dir)) set.Add(Path.GetFileName(e));
                if (set.Count > 0) break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return set;
    }

    private static (IReadOnlyList<int>?, string?) ReadMask(string path)
    {
        var (text, err) = ReadText(path);
        if (text == null) return (null, err);
        var set = CpuSet.ParseMask(text);
        return set == null ? (null, $"{Path.GetFileName(path)}: not a CPU mask: '{text.Trim()}'") : (set.ToList(), null);
    }

    private static (IReadOnlyList<int>?, string?) ReadList(string path)
    {
        var (text, err) = ReadText(path);
        if (text == null) return (null, err);
        var set = CpuSet.ParseList(text);
        return set == null ? (null, $"{Path.GetFileName(path)}: not a CPU list: '{text.Trim()}'") : (set.ToList(), null);
    }

    /// <summary>Reads a small file; on failure the reason (missing, permission, or the kernel's refusal such as
    /// ENOENT from xps_cpus on a single-queue device).</summary>
    internal static (string?, string?) ReadText(string path)
    {
        try { return (File.ReadAllText(path), null); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e switch
            {
                UnauthorizedAccessException => "permission denied (run as root)",
                _ when !File.Exists(path) => "not present",
                // xps_cpus of a single-TX-queue device is listed but its read fails with ENOENT: no map to show
                FileNotFoundException => "no value (the kernel answers ENOENT: no map for this queue, as on single-queue devices)",
                _ => $"the kernel refused the read ({e.Message})",
            };
            return (null, $"{Path.GetFileName(path)}: {why}");
        }
    }

    /// <summary>rx-2 before rx-10.</summary>
    private sealed class QueueOrder : IComparer<string>
    {
        public static readonly QueueOrder Instance = new();
        public int Compare(string? a, string? b)
        {
            int c = string.CompareOrdinal(a?[..Math.Min(3, a.Length)], b?[..Math.Min(3, b.Length)]);
            if (c != 0) return c;
            int na = int.TryParse(a?[3..], out var x) ? x : -1, nb = int.TryParse(b?[3..], out var y) ? y : -1;
            return na != nb ? na.CompareTo(nb) : string.CompareOrdinal(a, b);
        }
    }
}

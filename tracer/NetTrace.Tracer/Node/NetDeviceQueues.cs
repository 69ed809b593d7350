namespace NetTrace.Tracer.Node;

/// <summary>Steering of one queue: rx-N's rps_cpus and rps_flow_cnt, or tx-N's xps_cpus. Error says why a file could
/// not be read (xps_cpus is absent on single-queue devices, for example).</summary>
public sealed record QueueSteering(string Queue, IReadOnlyList<int>? Cpus, long? FlowCount, string? Error);

/// <summary>One interrupt line of a device: its counts per CPU (CPU number -> count), the CPUs it may fire on
/// (smp_affinity_list) and those the kernel actually programmed (effective_affinity_list, where the kernel has it).</summary>
public sealed record DeviceIrq(
    string Irq,
    string Name,
    bool IsQueue,
    IReadOnlyDictionary<int, long> CountsByCpu,
    IReadOnlyList<int>? Affinity,
    IReadOnlyList<int>? EffectiveAffinity,
    string? Error)
{
    public long Total => CountsByCpu.Values.Sum();
}

/// <summary>A network device's receive/transmit queues, their RPS/XPS steering, and its interrupts.</summary>
public sealed record NetDeviceQueues(
    string Name,
    /// <summary>The bus device behind it (a PCI address, virtioN); null for virtual devices (veth, bridge, lo).</summary>
    string? BusDevice,
    IReadOnlyList<QueueSteering> Rx,
    IReadOnlyList<QueueSteering> Tx,
    IReadOnlyList<DeviceIrq> Irqs)
{
    public bool IsVirtual => BusDevice == null;
    [System.Text.Json.Serialization.JsonIgnore]   // a view of Irqs: not repeated in --json
    public IEnumerable<DeviceIrq> QueueIrqs => Irqs.Where(i => i.IsQueue);
    public bool HasRps => Rx.Any(q => q.Cpus is { Count: > 0 });
    public bool HasXps => Tx.Any(q => q.Cpus is { Count: > 0 });
}
